package dev.jrnn.cli;

import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Preprocess;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The data flags shared by {@code train} and {@code sweep}. */
final class DataOptions {
    @Option(names = "--dataset", defaultValue = "mnist", description = "mnist, fashion-mnist, or npy: your own arrays in"
            + " --data-dir (x_train.npy (N, T, F) float32, y_train.npy (N) labels, x_test.npy, y_test.npy; np.save) (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--data-dir", description = "Directory holding the four IDX files (downloaded into it when missing),"
            + " or with --dataset npy the four .npy arrays.")
    Path dataDir;

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

    /** The data these flags select. */
    DataSelection selection() {
        if (limit != null && limit <= 0) throw new IllegalArgumentException("--limit must be positive, found " + limit);
        return new DataSelection(dataset, limit == null ? 0 : limit, validationSplit,
                binarize == null ? Preprocess.SCALE : Preprocess.binarize(binarize));
    }

    /** Loads the selected data; a missing dataset names the ways out. */
    static DataSelection.Splits load(DataSelection selection, Path dataDir) throws java.io.IOException {
        try {
            return selection.load(dataDir);
        } catch (java.io.IOException e) {
            throw new java.io.IOException(e.getMessage() + "\nTo train anyway: --dataset fashion-mnist (Debian: apt-get install"
                    + " dataset-fashion-mnist), or --data-dir DIR holding the IDX files.", e);
        }
    }
}
