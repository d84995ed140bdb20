package dev.jrnn.train;

/**
 * Receives progress from {@link Trainer#fit}; every method has an empty default. Called on the
 * thread that runs {@code fit}, between batches.
 */
public interface TrainingListener {

    /**
     * Called before the first batch of an epoch.
     *
     * @param epoch   the 1-based number of the epoch starting, counted over the trainer's life
     * @param epochs  the number of the last epoch this {@code fit} call will run
     * @param batches the number of batches per epoch
     */
    default void onEpochStart(int epoch, int epochs, int batches) {}

    /**
     * Called after batches whose statistics were read (see {@link TrainConfig#logInterval()}).
     *
     * @param batchesDone batches finished in this epoch
     * @param loss        running mean loss of the epoch so far
     * @param accuracy    running accuracy of the epoch so far
     */
    default void onBatchEnd(int batchesDone, double loss, double accuracy) {}

    /**
     * Called after each epoch.
     *
     * @param metrics what the epoch measured
     */
    default void onEpochEnd(EpochMetrics metrics) {}
}
