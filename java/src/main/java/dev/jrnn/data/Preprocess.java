package dev.jrnn.data;

/**
 * How pixels (0..255) become features: always scaled, {@code x = pixel / 255f}, then optionally
 * binarised, {@code x = (threshold < x) ? 1f : 0f}, as in the seed notebook.
 *
 * @param binarized whether to binarise after scaling
 * @param threshold the binarisation threshold on the scaled value, in [0, 1); ignored unless
 *                  {@code binarized}
 */
public record Preprocess(boolean binarized, float threshold) {

    /** The seed notebook's binarisation threshold. */
    public static final float DEFAULT_THRESHOLD = 0.1f;

    /** Scale only: {@code x = pixel / 255f}. */
    public static final Preprocess SCALE = new Preprocess(false, DEFAULT_THRESHOLD);

    /**
     * Checks the threshold, even when not binarising.
     *
     * @throws IllegalArgumentException if {@code threshold} is not in [0, 1)
     */
    public Preprocess {
        if (!(threshold >= 0f && threshold < 1f)) {
            throw new IllegalArgumentException("binarize threshold must be in [0, 1), found " + threshold);
        }
    }

    /**
     * Scale, then binarise: {@code x = (threshold < pixel / 255f) ? 1f : 0f}.
     *
     * @param threshold the threshold on the scaled value, in [0, 1)
     * @return a binarising preprocessing
     * @throws IllegalArgumentException if {@code threshold} is not in [0, 1)
     */
    public static Preprocess binarize(float threshold) {
        return new Preprocess(true, threshold);
    }

    /** {@return scaling, then binarisation with the notebook's threshold 0.1} */
    public static Preprocess binarize() {
        return binarize(DEFAULT_THRESHOLD);
    }

    /**
     * Maps one pixel to its feature value.
     *
     * @param pixel an unsigned pixel value, 0..255
     * @return {@code pixel / 255f}; when binarised, {@code 1f} if that exceeds the threshold, else
     *         {@code 0f}
     */
    public float apply(int pixel) {
        float x = pixel / 255f;
        return binarized ? (threshold < x ? 1f : 0f) : x;
    }

    /** {@link #apply} for every pixel value, indexed by {@code b & 0xff}. */
    float[] table() {
        float[] t = new float[256];
        for (int p = 0; p < 256; p++) {
            t[p] = apply(p);
        }
        return t;
    }
}
