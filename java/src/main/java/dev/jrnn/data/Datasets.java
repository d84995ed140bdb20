package dev.jrnn.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Loads image datasets in the MNIST layout as {@link Dataset}s whose timesteps are image rows:
 * images (N, rows, cols) become x of shape (N, T = rows, F = cols), {@code x = pixel / 255f},
 * optionally binarised (see {@link Preprocess}).
 *
 * <pre>{@code
 * DatasetLocator locator = DatasetLocator.defaults(null);           // or a --data-dir
 * Dataset train = Datasets.load(DatasetCatalog.FASHION_MNIST, Split.TRAIN, Preprocess.SCALE, locator);
 * Dataset test  = Datasets.load(DatasetCatalog.FASHION_MNIST, Split.TEST,  Preprocess.SCALE, locator);
 * }</pre>
 */
public final class Datasets {

    private Datasets() {
    }

    /**
     * Resolves and loads a catalogued dataset with the standard locator (downloads allowed,
     * progress bar on stderr).
     *
     * @param name    {@code mnist}, {@code fashion-mnist}, or {@link #NPY} for a folder of {@code .npy} arrays
     * @param dataDir explicit directory holding the files ({@code --data-dir}), or null to search
     *                the standard places
     * @param split   train or test
     * @param pre     scaling / binarisation
     * @return a dataset named {@code <name>/<split>}, e.g. {@code fashion-mnist/test}: x (N, 28, 28)
     * @throws IllegalArgumentException if the name is unknown
     * @throws IdxFormatException       if a file is malformed or images and labels do not match
     * @throws DatasetNotFoundException if the files are missing and downloading is off
     * @throws DownloadException        if a download failed
     * @throws IOException              on other I/O errors
     */
    public static Dataset load(String name, Path dataDir, Split split, Preprocess pre) throws IOException {
        if (NPY.equals(name)) {
            if (dataDir == null) {
                throw new IllegalArgumentException("--dataset npy reads your own arrays: give --data-dir DIR holding x_train.npy"
                        + " (N, T, F), y_train.npy (N), x_test.npy and y_test.npy");
            }
            if (pre.binarized()) throw new IllegalArgumentException("--binarize applies to the image datasets, not to --dataset npy");
            NpyDatasets.Splits s = NpyDatasets.load(dataDir, 0);
            return split == Split.TRAIN ? s.train() : s.test();
        }
        return load(DatasetCatalog.get(name), split, pre, DatasetLocator.defaults(dataDir));
    }

    /**
     * The name that selects a user's own arrays: {@code --dataset npy --data-dir DIR}, DIR holding
     * NumPy files in Keras' naming ({@link NpyDatasets}); the classes are the largest label plus one.
     */
    public static final String NPY = "npy";

    /**
     * Resolves a dataset's split with {@code locator} (which may download it) and loads it.
     *
     * @param spec    the dataset, e.g. {@link DatasetCatalog#MNIST}
     * @param split   train or test
     * @param pre     scaling / binarisation
     * @param locator where to look for the files and whether to download them
     * @return a dataset named {@code <spec.name>/<split>}: x (N, rows, cols), y (N)
     * @throws IdxFormatException       if a file is malformed or images and labels do not match
     * @throws DatasetNotFoundException if the files are missing and the locator does not download
     * @throws DownloadException        if a download failed
     * @throws IOException              on other I/O errors
     */
    public static Dataset load(DatasetSpec spec, Split split, Preprocess pre, DatasetLocator locator)
            throws IOException {
        DatasetLocator.SplitFiles files = locator.locate(spec, split);
        return fromIdx(spec.name() + "/" + split.label(), files.images(), files.labels(), spec.classes(), pre);
    }

    /**
     * Loads a dataset from an images file and a labels file.
     *
     * @param name    the dataset's name, e.g. {@code mnist/train}
     * @param images  IDX file of (N, rows, cols) unsigned bytes, raw or gzip
     * @param labels  IDX file of (N) unsigned bytes, raw or gzip
     * @param classes labels must lie in [0, classes)
     * @param pre     scaling / binarisation
     * @return x (N, T = rows, F = cols) after {@code pre}, y (N)
     * @throws IdxFormatException if a file is malformed, the counts differ, or a label is out of range
     * @throws IOException        if a file cannot be read
     */
    public static Dataset fromIdx(String name, Path images, Path labels, int classes, Preprocess pre)
            throws IOException {
        IdxReader.Images img = IdxReader.readImages(images);
        int[] y = IdxReader.readLabels(labels);
        if (img.count() != y.length) {
            throw new IdxFormatException(labels, "expected " + img.count() + " labels, one per image in "
                    + images + " (" + img.count() + "x" + img.rows() + "x" + img.cols() + "), found " + y.length);
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] >= classes) {
                throw new IdxFormatException(labels, "label " + y[i] + " at index " + i
                        + " is outside [0, " + classes + ")");
            }
        }
        float[] table = pre.table();
        byte[] px = img.pixels();
        float[] x = new float[px.length]; // (N, T, F)
        for (int i = 0; i < px.length; i++) {
            x[i] = table[px[i] & 0xff];
        }
        return new Dataset(name, x, y, img.rows(), img.cols(), classes);
    }
}
