package dev.jrnn.train;

/** Receives progress from {@link Trainer#fit}; every method has an empty default. */
public interface TrainingListener {

    /** Called before the first batch of an epoch. */
    default void onEpochStart(int epoch, int epochs, int batches) {}

    /**
     * Called after batches whose statistics were read (see {@link TrainConfig#logInterval()}).
     *
     * @param batchesDone batches finished in this epoch
     * @param loss        running mean loss of the epoch so far
     * @param accuracy    running accuracy of the epoch so far
     */
    default void onBatchEnd(int batchesDone, double loss, double accuracy) {}

    /** Called after each epoch. */
    default void onEpochEnd(EpochMetrics metrics) {}
}
