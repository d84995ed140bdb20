package dev.jrnn.data;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Where a dataset in the MNIST layout comes from: its name, class count, mirrors and four files.
 *
 * @param name        directory name under each data root, e.g. {@code fashion-mnist}
 * @param classes     number of classes; labels must lie in [0, classes)
 * @param mirrors     base URLs ending in {@code /}, tried in order; a file's URL is
 *                    {@code mirror.resolve(file.name())}
 * @param trainImages (60000, 28, 28) images for MNIST-style sets
 * @param trainLabels (60000) labels
 * @param testImages  (10000, 28, 28) images
 * @param testLabels  (10000) labels
 */
public record DatasetSpec(String name, int classes, List<URI> mirrors,
                          DataFile trainImages, DataFile trainLabels, DataFile testImages, DataFile testLabels) {

    /**
     * Checks the fields and copies the mirror list.
     *
     * @throws NullPointerException     if {@code name}, {@code mirrors} or a file is null
     * @throws IllegalArgumentException if {@code name} is not a plain directory name,
     *                                  {@code classes < 1}, or a mirror is not an absolute URL
     *                                  ending in {@code /}
     */
    public DatasetSpec {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new IllegalArgumentException("dataset name must be a plain directory name, found '" + name + "'");
        }
        if (classes < 1) {
            throw new IllegalArgumentException(name + ": classes must be >= 1, found " + classes);
        }
        mirrors = List.copyOf(mirrors);
        for (URI m : mirrors) {
            if (!m.isAbsolute() || !m.getPath().endsWith("/")) {
                throw new IllegalArgumentException(name + ": mirror must be an absolute URL ending in '/', found " + m);
            }
        }
        Objects.requireNonNull(trainImages, "trainImages");
        Objects.requireNonNull(trainLabels, "trainLabels");
        Objects.requireNonNull(testImages, "testImages");
        Objects.requireNonNull(testLabels, "testLabels");
    }

    /**
     * Returns the images file of a split.
     *
     * @param split train or test
     * @return {@code trainImages} or {@code testImages}
     */
    public DataFile images(Split split) {
        return split == Split.TRAIN ? trainImages : testImages;
    }

    /**
     * Returns the labels file of a split.
     *
     * @param split train or test
     * @return {@code trainLabels} or {@code testLabels}
     */
    public DataFile labels(Split split) {
        return split == Split.TRAIN ? trainLabels : testLabels;
    }
}
