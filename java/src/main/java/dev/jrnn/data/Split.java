package dev.jrnn.data;

/** Which half of a dataset: the training set or the held-out test set. */
public enum Split {
    /** Training set, files {@code train-*}. */
    TRAIN("train"),
    /** Test set, files {@code t10k-*}. */
    TEST("t10k");

    private final String filePrefix;

    Split(String filePrefix) {
        this.filePrefix = filePrefix;
    }

    /** {@return the prefix of this split's file names in the MNIST layout: train or t10k} */
    public String filePrefix() {
        return filePrefix;
    }

    /** {@return the lower-case name used in dataset names and messages: train or test} */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
