package dev.jrnn.train;

/**
 * Loss and accuracy of a model on a dataset, without dropout.
 *
 * @param loss     mean sparse categorical cross-entropy
 * @param accuracy fraction of samples whose arg-max class is the label
 * @param samples  number of samples evaluated
 * @param seconds  wall time
 */
public record Evaluation(double loss, double accuracy, int samples, double seconds) {}
