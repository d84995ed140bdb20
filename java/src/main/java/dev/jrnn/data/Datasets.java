package dev.jrnn.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
     * @param name    {@code mnist}, {@code fashion-mnist}, their {@link #TRIMMED} variable-length
     *                forms, or {@link #NPY} for a folder of {@code .npy} arrays
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
        return load(name, dataDir, split, pre, 0);
    }

    /**
     * {@link #load(String, Path, Split, Preprocess)} with a class count for {@link #NPY} arrays.
     *
     * @param name    {@code mnist}, {@code fashion-mnist}, {@code mnist-trimmed},
     *                {@code fashion-mnist-trimmed} (see {@link #trimBlankRows}), or {@link #NPY}
     * @param dataDir explicit directory holding the files, or null to search the standard places
     * @param split   train or test
     * @param pre     scaling / binarisation
     * @param classes for {@link #NPY}: the number of classes, or 0 for the largest label plus one;
     *                the image datasets have 10 and ignore it
     * @return a dataset named {@code <name>/<split>}, e.g. {@code fashion-mnist-trimmed/test}
     * @throws IllegalArgumentException if the name is unknown
     * @throws IdxFormatException       if a file is malformed or images and labels do not match
     * @throws NpyFormatException       if an {@code .npy} file is malformed or does not fit the others
     * @throws DatasetNotFoundException if the files are missing and downloading is off
     * @throws DownloadException        if a download failed
     * @throws IOException              on other I/O errors
     */
    public static Dataset load(String name, Path dataDir, Split split, Preprocess pre, int classes) throws IOException {
        if (name.endsWith(TRIMMED)) {
            String base = name.substring(0, name.length() - TRIMMED.length());
            if (NPY.equals(base)) throw new IllegalArgumentException("unknown dataset '" + name + "': " + NPY + " brings its own lengths");
            Dataset full = load(base, dataDir, split, pre, 0);
            return trimBlankRows(full, name + "/" + split.label(), Preprocess.DEFAULT_THRESHOLD);
        }
        if (NPY.equals(name)) {
            if (dataDir == null) {
                throw new IllegalArgumentException("--dataset npy reads your own arrays: give --data-dir DIR holding x_train.npy"
                        + " (N, T, F), y_train.npy (N), x_test.npy and y_test.npy");
            }
            if (pre.binarized()) throw new IllegalArgumentException("--binarize applies to the image datasets, not to --dataset npy");
            NpyDatasets.Splits s = NpyDatasets.load(dataDir, classes);
            return split == Split.TRAIN ? s.train() : s.test();
        }
        DatasetSpec spec;
        try {
            spec = DatasetCatalog.get(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown dataset '" + name + "': expected one of " + String.join(", ", names()), e);
        }
        return load(spec, split, pre, DatasetLocator.defaults(dataDir));
    }

    /**
     * The name that selects a user's own arrays: {@code --dataset npy --data-dir DIR}, DIR holding
     * NumPy files in Keras' naming ({@link NpyDatasets}); the classes are the largest label plus one.
     */
    public static final String NPY = "npy";

    /**
     * The suffix that turns an image dataset into a variable-length one: {@code mnist-trimmed},
     * {@code fashion-mnist-trimmed} (see {@link #trimBlankRows}).
     */
    public static final String TRIMMED = "-trimmed";

    /**
     * {@return the dataset names {@link #load(String, Path, Split, Preprocess, int)} knows, e.g. for
     * a flag's help}
     */
    public static List<String> names() {
        List<String> out = new ArrayList<>();
        for (DatasetSpec s : DatasetCatalog.all()) out.add(s.name());
        for (DatasetSpec s : DatasetCatalog.all()) out.add(s.name() + TRIMMED);
        out.add(NPY);
        return out;
    }

    /**
     * Image rows as a variable-length sequence: drops each image's blank rows at the top and the
     * bottom, so that its content starts at step 0, and records how many rows are left as its
     * length. A row is blank when none of its features exceeds {@code threshold}. Sample i keeps
     * rows {@code [first, last]} of its non-blank rows, moved to steps {@code [0, last - first]};
     * its length is {@code last - first + 1}, and steps from there to T are zeros (padding). A
     * blank image keeps one step of zeros, length 1. T, F, labels and classes stay.
     *
     * <p>For Fashion-MNIST's 60,000 training images at threshold 0.1 (pixel/255 > 0.1): lengths
     * 4..28, mean 24.1, 58% of them 28 (trousers, shirts, coats fill the height; sandals, sneakers
     * and bags do not).
     *
     * @param d         the images, x (N, T = rows, F = cols)
     * @param name      the new dataset's name
     * @param threshold a feature above it makes its row non-blank; for scaled pixels, e.g.
     *                  {@link Preprocess#DEFAULT_THRESHOLD}
     * @return new arrays: x (N, T, F) shifted up and zero-padded, lengths (N) in [1, T]
     */
    public static Dataset trimBlankRows(Dataset d, String name, float threshold) {
        int n = d.size(), t = d.steps(), f = d.features();
        float[] src = d.x(), x = new float[src.length];   // (N, T, F)
        int[] lengths = new int[n];                       // (N)
        for (int i = 0; i < n; i++) {
            int base = i * t * f, first = -1, last = -1;
            for (int r = 0; r < t; r++) {
                for (int c = 0; c < f; c++) {
                    if (src[base + r * f + c] > threshold) {
                        if (first < 0) first = r;
                        last = r;
                        break;
                    }
                }
            }
            if (first < 0) {   // blank: one step of zeros
                lengths[i] = 1;
                continue;
            }
            lengths[i] = last - first + 1;
            System.arraycopy(src, base + first * f, x, base, lengths[i] * f);
        }
        return new Dataset(name, x, d.y(), t, f, d.classes(), lengths);
    }

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
