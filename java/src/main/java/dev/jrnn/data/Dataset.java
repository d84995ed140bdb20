package dev.jrnn.data;

import java.util.Objects;

/**
 * Samples of shape (T, F) with integer class labels, held in memory. The arrays are kept as given,
 * not copied, and the accessors return them: treat them as read-only.
 *
 * @param name     e.g. {@code mnist/train}
 * @param x        (N, T, F) row-major features, usually pixels scaled to [0, 1]
 * @param y        (N) class labels in [0, classes)
 * @param steps    T, timesteps per sample (image rows)
 * @param features F, features per timestep (image columns)
 * @param classes  number of classes
 */
public record Dataset(String name, float[] x, int[] y, int steps, int features, int classes) {

    /**
     * Checks that the arrays agree with the shape and the labels with the class count.
     *
     * @throws NullPointerException     if {@code name}, {@code x} or {@code y} is null
     * @throws IllegalArgumentException if {@code x.length != y.length * steps * features} or a
     *                                  label is outside [0, classes), naming the dataset
     */
    public Dataset {
        Objects.requireNonNull(name, "name");
        if ((long) y.length * steps * features != x.length) {
            throw new IllegalArgumentException(name + ": expected " + y.length + " x " + steps + " x "
                    + features + " = " + ((long) y.length * steps * features) + " features, found " + x.length);
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= classes) {
                throw new IllegalArgumentException(name + ": label " + y[i] + " at index " + i
                        + " is outside [0, " + classes + ")");
            }
        }
    }

    /** {@return the number of samples N} */
    public int size() {
        return y.length;
    }

    /** {@return the number of floats per sample, T*F} */
    public int sampleSize() {
        return steps * features;
    }

    /**
     * Samples {@code [from, to)} (copies), named {@code name[from:to]}; e.g. Keras'
     * {@code validation_split} holds out the last samples.
     *
     * @param from the first sample, inclusive
     * @param to   the end sample, exclusive
     * @return a new dataset of {@code to - from} samples with the same shape and classes
     * @throws IllegalArgumentException if {@code [from, to)} is not inside [0, size())
     */
    public Dataset range(int from, int to) {
        if (from < 0 || to > size() || from > to) {
            throw new IllegalArgumentException(name + ": range [" + from + ", " + to + ") is outside [0, " + size() + "]");
        }
        float[] xs = java.util.Arrays.copyOfRange(x, from * sampleSize(), to * sampleSize());
        int[] ys = java.util.Arrays.copyOfRange(y, from, to);
        return new Dataset(name + "[" + from + ":" + to + "]", xs, ys, steps, features, classes);
    }

    /**
     * Returns the first {@code n} samples (copies), for quick runs, named {@code name[:k]}.
     *
     * @param n the number of samples wanted, not negative; more than {@link #size()} means all
     * @return a new dataset of {@code min(n, size())} samples with the same shape and classes
     */
    public Dataset head(int n) {
        int k = Math.min(n, size());
        float[] xs = java.util.Arrays.copyOf(x, k * sampleSize());
        int[] ys = java.util.Arrays.copyOf(y, k);
        return new Dataset(name + "[:" + k + "]", xs, ys, steps, features, classes);
    }
}
