package dev.jrnn.train;

/**
 * Optimiser and loop settings, Keras defaults unless stated.
 *
 * @param learningRate Adam learning rate (1e-3)
 * @param beta1        Adam beta1 (0.9)
 * @param beta2        Adam beta2 (0.999)
 * @param epsilon      Adam epsilon (1e-7, as Keras)
 * @param batchSize    training batch size (256, as the seed notebook)
 * @param seed         seed for initial weights, shuffling and dropout masks
 * @param shuffle      reshuffle the training set every epoch
 * @param logInterval  read the running loss and accuracy every this many batches
 * @param evalBatchSize batch size for {@link Trainer#evaluate}
 * @param bucketing    form training batches of samples of similar length (off by default; see
 *                     {@link Trainer#fit}): sort each pool of {@link Trainer#BUCKET_POOL} batches of
 *                     the epoch's shuffled order by length, cut it into batches, shuffle the
 *                     batches' order. For fixed-length data only the batches' order changes
 */
public record TrainConfig(float learningRate, float beta1, float beta2, float epsilon, int batchSize,
                          long seed, boolean shuffle, int logInterval, int evalBatchSize, boolean bucketing) {

    /**
     * Batches between reads of the running loss and accuracy in the CLI's runs (the progress bar
     * moves in such steps; {@link #logInterval()}). NB: each read waits for the device; every 10
     * batches keeps a GPU epoch free of per-step synchronisation while the bar still moves about 24
     * times per MNIST epoch.
     */
    public static final int PROGRESS_INTERVAL = 10;


    /**
     * Checks the settings; the Adam betas and epsilon are taken as given.
     *
     * @throws IllegalArgumentException if the learning rate, batch size, log interval or
     *                                  evaluation batch size is not positive (or the learning rate not finite)
     */
    public TrainConfig {
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, found " + learningRate);
        }
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, found " + batchSize);
        if (logInterval <= 0) throw new IllegalArgumentException("log interval must be positive, found " + logInterval);
        if (evalBatchSize <= 0) throw new IllegalArgumentException("eval batch size must be positive, found " + evalBatchSize);
    }

    /**
     * Settings without length bucketing ({@code bucketing = false}).
     *
     * @param learningRate  Adam learning rate
     * @param beta1         Adam beta1
     * @param beta2         Adam beta2
     * @param epsilon       Adam epsilon
     * @param batchSize     training batch size
     * @param seed          seed for initial weights, shuffling and dropout masks
     * @param shuffle       reshuffle the training set every epoch
     * @param logInterval   read the running loss and accuracy every this many batches
     * @param evalBatchSize batch size for {@link Trainer#evaluate}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public TrainConfig(float learningRate, float beta1, float beta2, float epsilon, int batchSize,
                       long seed, boolean shuffle, int logInterval, int evalBatchSize) {
        this(learningRate, beta1, beta2, epsilon, batchSize, seed, shuffle, logInterval, evalBatchSize, false);
    }

    /**
     * {@return Keras defaults (Adam lr 1e-3, betas 0.9 and 0.999, epsilon 1e-7) with batch 256,
     * seed 42, shuffling, statistics read every batch, evaluation batches of 1024 and no bucketing}
     */
    public static TrainConfig defaults() {
        return new TrainConfig(1e-3f, 0.9f, 0.999f, 1e-7f, 256, 42L, true, 1, 1024);
    }

    /**
     * Returns a copy with another learning rate.
     *
     * @param lr the Adam learning rate, positive
     * @return a copy of this configuration with {@code learningRate = lr}
     * @throws IllegalArgumentException if {@code lr} is not positive
     */
    public TrainConfig withLearningRate(float lr) {
        return new TrainConfig(lr, beta1, beta2, epsilon, batchSize, seed, shuffle, logInterval, evalBatchSize, bucketing);
    }

    /**
     * Returns a copy with another training batch size.
     *
     * @param b the training batch size, positive
     * @return a copy of this configuration with {@code batchSize = b}
     * @throws IllegalArgumentException if {@code b} is not positive
     */
    public TrainConfig withBatchSize(int b) {
        return new TrainConfig(learningRate, beta1, beta2, epsilon, b, seed, shuffle, logInterval, evalBatchSize, bucketing);
    }

    /**
     * Returns a copy with another evaluation batch size (also what {@link Trainer#predict} works in;
     * a trainer sizes its buffers for the larger of the two batch sizes).
     *
     * @param b the evaluation batch size, positive
     * @return a copy of this configuration with {@code evalBatchSize = b}
     * @throws IllegalArgumentException if {@code b} is not positive
     */
    public TrainConfig withEvalBatchSize(int b) {
        return new TrainConfig(learningRate, beta1, beta2, epsilon, batchSize, seed, shuffle, logInterval, b, bucketing);
    }

    /**
     * Returns a copy with another seed.
     *
     * @param s the seed for initial weights, shuffling and dropout masks
     * @return a copy of this configuration with {@code seed = s}
     */
    public TrainConfig withSeed(long s) {
        return new TrainConfig(learningRate, beta1, beta2, epsilon, batchSize, s, shuffle, logInterval, evalBatchSize, bucketing);
    }

    /**
     * Returns a copy with another logging interval.
     *
     * @param n read the running loss and accuracy every {@code n} batches, positive
     * @return a copy of this configuration with {@code logInterval = n}
     * @throws IllegalArgumentException if {@code n} is not positive
     */
    public TrainConfig withLogInterval(int n) {
        return new TrainConfig(learningRate, beta1, beta2, epsilon, batchSize, seed, shuffle, n, evalBatchSize, bucketing);
    }

    /**
     * Returns a copy with length bucketing on or off.
     *
     * @param on whether to form training batches of samples of similar length
     * @return a copy of this configuration with {@code bucketing = on}
     */
    public TrainConfig withBucketing(boolean on) {
        return new TrainConfig(learningRate, beta1, beta2, epsilon, batchSize, seed, shuffle, logInterval, evalBatchSize, on);
    }
}
