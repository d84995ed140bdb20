package dev.jrnn.train;

/**
 * What one epoch of training measured.
 *
 * @param epoch            1-based epoch number
 * @param loss             mean training loss over the epoch's samples (with dropout active)
 * @param accuracy         fraction of training samples classified correctly during the epoch
 * @param seconds          wall time of the epoch
 * @param samplesPerSecond training samples processed per second
 */
public record EpochMetrics(int epoch, double loss, double accuracy, double seconds, double samplesPerSecond) {}
