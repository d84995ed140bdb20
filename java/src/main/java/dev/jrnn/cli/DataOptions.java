package dev.jrnn.cli;

import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Datasets;
import dev.jrnn.data.Preprocess;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The data flags shared by {@code train} and {@code sweep}. */
final class DataOptions {
    @Option(names = "--dataset", description = "mnist, fashion-mnist, mnist-trimmed, fashion-mnist-trimmed (variable length:"
            + " blank rows cut off, docs/data.md), or npy: your own arrays in --data-dir (x_train.npy (N, T, F) float32,"
            + " y_train.npy (N) labels, x_test.npy, y_test.npy, optional lengths_train.npy, lengths_test.npy; np.save)"
            + " (default: mnist).")
    String dataset;

    @Option(names = "--data-dir", description = "Directory holding the four IDX files (downloaded into it when missing),"
            + " or with --dataset npy the .npy arrays.")
    Path dataDir;

    @Option(names = "--data", paramLabel = "DIR", description = "Your own .npy arrays in DIR: short for --dataset npy --data-dir DIR.")
    Path data;

    @Option(names = "--binarize", arity = "0..1", fallbackValue = "0.1", paramLabel = "THRESHOLD",
            description = "Binarise pixels as the notebook's binarize(): 1 where pixel/255 > THRESHOLD (default 0.1), else 0.")
    Float binarize;

    @Option(names = "--limit", description = "Train on the first N training samples only (quick runs).")
    Integer limit;

    @Option(names = "--validation-split", defaultValue = "0", paramLabel = "F",
            description = "Hold out the last fraction F of the training samples (before shuffling, as Keras) for the"
                    + " per-epoch val_loss and val_accuracy; with 0, sweep reports them on the test set, as the"
                    + " notebook's plots (default: ${DEFAULT-VALUE}).")
    double validationSplit;

    /** The dataset's name: {@code npy} with {@code --data}, else {@code --dataset} (default {@code mnist}). */
    String dataset() {
        checkData();
        return data != null ? Datasets.NPY : dataset != null ? dataset : "mnist";
    }

    /** The folder the data is read from: {@code --data} or {@code --data-dir}; null for the standard places. */
    Path dir() {
        checkData();
        return data != null ? data : dataDir;
    }

    private void checkData() {
        checkData(data, dataset, dataDir);
    }

    /** Refuses {@code --data} with a {@code --dataset} other than npy, or with {@code --data-dir}. */
    static void checkData(Path data, String dataset, Path dataDir) {
        if (data == null) return;
        if (dataset != null && !Datasets.NPY.equals(dataset)) {
            throw new IllegalArgumentException("--data DIR reads your own .npy arrays and cannot be combined with --dataset "
                    + dataset + ": use --dataset " + dataset + " --data-dir DIR for its IDX files");
        }
        if (dataDir != null) {
            throw new IllegalArgumentException("--data " + data + " and --data-dir " + dataDir + " both name the data folder: give one");
        }
    }

    /** The data these flags select. */
    DataSelection selection() {
        if (limit != null && limit <= 0) throw new IllegalArgumentException("--limit must be positive, found " + limit);
        return new DataSelection(dataset(), limit == null ? 0 : limit, validationSplit,
                binarize == null ? Preprocess.SCALE : Preprocess.binarize(binarize));
    }

    /**
     * Loads the selected data; a missing image dataset names the ways out.
     *
     * @param classes the number of classes of {@code .npy} labels, or 0 for the largest label plus one
     */
    static DataSelection.Splits load(DataSelection selection, Path dataDir, int classes) throws java.io.IOException {
        try {
            return selection.load(dataDir, classes);
        } catch (java.io.IOException e) {
            if (Datasets.NPY.equals(selection.dataset())) throw e;
            throw new java.io.IOException(e.getMessage() + "\nTo train anyway: --dataset fashion-mnist (Debian: apt-get install"
                    + " dataset-fashion-mnist), or --data-dir DIR holding the IDX files.", e);
        }
    }
}
