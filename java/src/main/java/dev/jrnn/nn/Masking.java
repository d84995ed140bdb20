package dev.jrnn.nn;

/**
 * Keras' {@code Masking(mask_value)}: marks the padding at the end of each sequence, so the
 * recurrent layers after it run each sample only over its valid steps (PyTorch's
 * {@code pack_padded_sequence} semantics: outputs 0 past a sample's length, the last output taken at
 * its last valid step, no gradient from padding). It computes nothing and has no parameters; it
 * must be the model's first layer.
 *
 * <p>A sample's length is {@code 1 +} the last step whose features are not all equal to
 * {@code value}, and at least 1: {@link #length}. NB: only right padding is understood; a masked
 * step before the last unmasked one counts as data, as Keras' cuDNN path also requires right-padded
 * masks. When a dataset also carries lengths ({@code Dataset.lengths}), the shorter of the two
 * counts.
 *
 * @param value the padding value; a step is padding when every feature equals it exactly (NaN:
 *              when every feature is NaN)
 */
public record Masking(float value) implements Layer {

    /** A mask for zero padding, Keras' default {@code mask_value=0.0}. */
    public Masking() {
        this(0f);
    }

    /**
     * Computes one sample's length: {@code 1 +} the last step with a feature other than
     * {@link #value()}, at least 1.
     *
     * @param x        the samples, (N, T, F) row-major
     * @param sample   the sample's index n
     * @param steps    T
     * @param features F
     * @return the length, in [1, T]
     * @throws ArrayIndexOutOfBoundsException if sample {@code n} lies outside {@code x}
     */
    public int length(float[] x, int sample, int steps, int features) {
        int base = sample * steps * features;
        boolean nan = Float.isNaN(value);   // NB: NaN != NaN, so a NaN padding value is matched by isNaN
        for (int t = steps - 1; t > 0; t--) {
            int row = base + t * features;
            for (int f = 0; f < features; f++) {
                float v = x[row + f];
                if (nan ? !Float.isNaN(v) : v != value) return t + 1;
            }
        }
        return 1;
    }

    /**
     * Computes the lengths of {@code n} consecutive samples.
     *
     * @param x        the samples, (N, T, F) row-major
     * @param offset   the first sample's index
     * @param n        the number of samples
     * @param steps    T
     * @param features F
     * @return (n) lengths, each in [1, T]
     * @throws ArrayIndexOutOfBoundsException if a sample lies outside {@code x}
     */
    public int[] lengths(float[] x, int offset, int n, int steps, int features) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = length(x, offset + i, steps, features);
        return out;
    }

    @Override
    public String kind() {
        return "masking";
    }

    @Override
    public String typeName() {
        return "Masking";
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 2) {
            throw new IllegalArgumentException("Masking expects input of shape (timesteps, features), found " + input);
        }
        return input;
    }

    @Override
    public int paramCount(Shape input) {
        return 0;
    }
}
