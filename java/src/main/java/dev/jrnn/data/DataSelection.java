package dev.jrnn.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Which data a run trains and tests on, as stored in checkpoints so a resumed run reloads the
 * same samples.
 *
 * <p>The training set is cut to its first {@code limit} samples (0 = all), then Keras'
 * {@code validation_split} holds out its last fraction, before any shuffling:
 * {@code split_at = floor(n * (1 - validationSplit))}, training on {@code [0, split_at)} and
 * validating on {@code [split_at, n)}.
 *
 * @param dataset         catalogue name, e.g. {@code fashion-mnist}
 * @param limit           train on the first {@code limit} training samples; 0 for all
 * @param validationSplit fraction held out for validation, in [0, 1)
 * @param preprocess      pixel scaling / binarisation
 */
public record DataSelection(String dataset, int limit, double validationSplit, Preprocess preprocess) {

    /**
     * Checks the selection.
     *
     * @throws NullPointerException     if {@code dataset} or {@code preprocess} is null
     * @throws IllegalArgumentException if {@code limit} is negative or {@code validationSplit} is
     *                                  not in [0, 1)
     */
    public DataSelection {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(preprocess, "preprocess");
        if (limit < 0) throw new IllegalArgumentException("limit must be 0 (all) or positive, found " + limit);
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw new IllegalArgumentException("validation split must be in [0, 1), found " + validationSplit);
        }
    }

    /**
     * The three parts of a run's data.
     *
     * @param train      training samples
     * @param validation held-out training samples, or null when {@code validationSplit == 0}
     * @param test       the dataset's test split
     */
    public record Splits(Dataset train, Dataset validation, Dataset test) {}

    /**
     * Loads the dataset (see {@link Datasets#load(String, Path, Split, Preprocess)}) and splits it.
     * May download the files.
     *
     * @param dataDir explicit directory holding the files ({@code --data-dir}), or null to search
     *                the standard places
     * @return the training, validation and test data
     * @throws IllegalArgumentException when the dataset name is unknown, or the split leaves no
     *                                  training or no validation samples
     * @throws IdxFormatException       if a file is malformed or images and labels do not match
     * @throws DatasetNotFoundException if the files are missing and downloading is off
     * @throws DownloadException        if a download failed
     * @throws IOException              on other I/O errors
     */
    public Splits load(Path dataDir) throws IOException {
        return load(dataDir, 0);
    }

    /**
     * {@link #load(Path)} with a class count for {@link Datasets#NPY} arrays (e.g. {@code --classes},
     * or a checkpoint's output size when it is resumed).
     *
     * @param dataDir explicit directory holding the files, or null to search the standard places
     * @param classes the number of classes of {@code .npy} labels, or 0 for the largest label plus one
     * @return the training, validation and test data, with their lengths if the dataset has them
     * @throws IllegalArgumentException as {@link #load(Path)}
     * @throws IOException              as {@link #load(Path)}, or a label {@code >= classes}
     */
    public Splits load(Path dataDir, int classes) throws IOException {
        Dataset train = Datasets.load(dataset, dataDir, Split.TRAIN, preprocess, classes);
        Dataset test = Datasets.load(dataset, dataDir, Split.TEST, preprocess, classes);
        return split(train, test);
    }

    /**
     * Applies the limit and the validation split to already loaded data; the test data is passed
     * through unchanged.
     *
     * @param train the dataset's whole training split
     * @param test  the dataset's test split
     * @return the training, validation (null when {@code validationSplit == 0}) and test data
     * @throws IllegalArgumentException when the split leaves no training or no validation samples
     */
    public Splits split(Dataset train, Dataset test) {
        if (limit > 0) train = train.head(limit);
        if (validationSplit == 0) return new Splits(train, null, test);
        int n = train.size();
        int at = (int) Math.floor(n * (1.0 - validationSplit));
        if (at == 0 || at == n) {
            throw new IllegalArgumentException("validation split " + validationSplit + " of " + n
                    + " samples leaves " + at + " for training and " + (n - at) + " for validation");
        }
        return new Splits(train.range(0, at), train.range(at, n), test);
    }
}
