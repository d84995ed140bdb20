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

    /** Prefix of this split's file names in the MNIST layout: {@code train} or {@code t10k}. */
    public String filePrefix() {
        return filePrefix;
    }

    /** Lower-case name used in dataset names and messages: {@code train} or {@code test}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
