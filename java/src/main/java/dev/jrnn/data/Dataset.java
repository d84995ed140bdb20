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
 * @param lengths  (N) each sample's valid steps in [1, T], the rest of its T steps padding (PyTorch's
 *                 {@code pack_padded_sequence}, Keras' right-padded masks); {@code null} when every
 *                 sample is T steps long
 */
public record Dataset(String name, float[] x, int[] y, int steps, int features, int classes, int[] lengths) {

    /**
     * Checks that the arrays agree with the shape and the labels with the class count.
     *
     * @throws NullPointerException     if {@code name}, {@code x} or {@code y} is null
     * @throws IllegalArgumentException if {@code x.length != y.length * steps * features}, a
     *                                  label is outside [0, classes), or a length is outside
     *                                  [1, steps], naming the dataset
     */
    public Dataset {
        Objects.requireNonNull(name, "name");
        if (lengths != null) {
            if (lengths.length != y.length) {
                throw new IllegalArgumentException(name + ": expected one length per sample, " + y.length + ", found " + lengths.length);
            }
            for (int i = 0; i < lengths.length; i++) {
                if (lengths[i] < 1 || lengths[i] > steps) {
                    throw new IllegalArgumentException(name + ": length " + lengths[i] + " of sample " + i
                            + " is outside [1, " + steps + "]");
                }
            }
        }
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

    /**
     * Samples of full length T each.
     *
     * @param name     e.g. {@code mnist/train}
     * @param x        (N, T, F) row-major features
     * @param y        (N) class labels in [0, classes)
     * @param steps    T, timesteps per sample
     * @param features F, features per timestep
     * @param classes  number of classes
     * @throws IllegalArgumentException as the canonical constructor
     */
    public Dataset(String name, float[] x, int[] y, int steps, int features, int classes) {
        this(name, x, y, steps, features, classes, null);
    }

    /**
     * {@return sample {@code i}'s valid steps: {@code lengths[i]}, or T when there are no lengths}
     *
     * @param i the sample, in [0, size())
     */
    public int length(int i) {
        return lengths == null ? steps : lengths[i];
    }

    /** {@return whether some sample is shorter than T} */
    public boolean hasVariableLengths() {
        if (lengths == null) return false;
        for (int n : lengths) if (n != steps) return true;
        return false;
    }

    /**
     * The same samples with these lengths.
     *
     * @param newLengths (N) lengths in [1, T], or {@code null} for full length
     * @return a dataset sharing this one's arrays
     * @throws IllegalArgumentException if a length is out of range or their count is not N
     */
    public Dataset withLengths(int[] newLengths) {
        return new Dataset(name, x, y, steps, features, classes, newLengths);
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
        int[] ls = lengths == null ? null : java.util.Arrays.copyOfRange(lengths, from, to);
        return new Dataset(name + "[" + from + ":" + to + "]", xs, ys, steps, features, classes, ls);
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
        int[] ls = lengths == null ? null : java.util.Arrays.copyOf(lengths, k);
        return new Dataset(name + "[:" + k + "]", xs, ys, steps, features, classes, ls);
    }
}
