package dev.jrnn.backend;

/**
 * Philox4x32-10 counter-based generator (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011), the source of every dropout mask. The CUDA kernels implement the same
 * function, so CPU and GPU draw bit-identical masks.
 *
 * <p>Element {@code i} of dropout call ({@code seed}, {@code step}, {@code salt}) uses
 * <pre>
 *   key     = (seed_lo, seed_hi)
 *   counter = (i / 4, salt, step_lo, step_hi)
 *   word    = philox(counter, key)[i % 4]
 *   u       = (word >>> 8) * 2^-24          in [0, 1), exact in float
 * </pre>
 * The constants below are mirrored by the {@code JRNN_PHILOX_*} defines of the CUDA kernels.
 */
public final class Philox {
    /** Multiplier of the first counter word pair in each round (Philox4x32 constant). */
    public static final int M0 = 0xD2511F53;
    /** Multiplier of the second counter word pair in each round (Philox4x32 constant). */
    public static final int M1 = 0xCD9E8D57;
    /** Weyl increment added to key word 0 between rounds (golden ratio, 32 bits). */
    public static final int W0 = 0x9E3779B9;
    /** Weyl increment added to key word 1 between rounds ({@code sqrt(3) - 1}, 32 bits). */
    public static final int W1 = 0xBB67AE85;
    /** Number of rounds: 10, as in Philox4x32-10. */
    public static final int ROUNDS = 10;

    private Philox() {}

    /**
     * Computes Philox4x32-10 of a 4-word counter and a 2-word key. Each round maps
     * {@code (c0, c1, c2, c3)} to
     * {@code (hi(M1*c2) ^ c1 ^ k0, lo(M1*c2), hi(M0*c0) ^ c3 ^ k1, lo(M0*c0))} with unsigned
     * 32x32-&gt;64 bit products; the key is bumped by {@code (W0, W1)} between rounds.
     *
     * @param c0 counter word 0
     * @param c1 counter word 1
     * @param c2 counter word 2
     * @param c3 counter word 3
     * @param k0 key word 0
     * @param k1 key word 1
     * @return a new array of the 4 output words
     */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        int[] out = new int[4];
        block(c0, c1, c2, c3, k0, k1, out);
        return out;
    }

    /**
     * Computes the same as {@link #block(int, int, int, int, int, int)} without allocating.
     *
     * @param c0  counter word 0
     * @param c1  counter word 1
     * @param c2  counter word 2
     * @param c3  counter word 3
     * @param k0  key word 0
     * @param k1  key word 1
     * @param out receives the 4 output words in {@code out[0..4)}
     * @throws ArrayIndexOutOfBoundsException if {@code out} has fewer than 4 elements
     */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int r = 0; r < ROUNDS; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /**
     * Returns the random word of one element of a dropout call, laid out as in the class comment.
     *
     * @param seed  the run's seed, used as the key
     * @param step  the optimiser step, counter words 2 and 3
     * @param salt  distinguishes the dropout calls of one step (the trainer uses the Dropout
     *              layer's index in the model), counter word 1
     * @param index the element's index in the flat tensor; {@code index / 4} is counter word 0
     * @return word {@code index % 4} of the Philox block
     */
    public static int word(long seed, long step, int salt, long index) {
        int[] w = block((int) (index >>> 2), salt, (int) step, (int) (step >>> 32),
                (int) seed, (int) (seed >>> 32));
        return w[(int) (index & 3)];
    }

    /**
     * Returns {@link #toUniform toUniform}({@link #word word(seed, step, salt, index)}): the number
     * dropout compares with its rate to keep ({@code u >= rate}) or drop element {@code index}.
     *
     * @param seed  the run's seed
     * @param step  the training step
     * @param salt  distinguishes the dropout calls of one step
     * @param index the element's index in the flat tensor
     * @return a uniform number in [0, 1) on a 2^-24 grid
     */
    public static float uniform(long seed, long step, int salt, long index) {
        return toUniform(word(seed, step, salt, index));
    }

    /**
     * Maps a random word to [0, 1): {@code u = (word >>> 8) * 2^-24}, exact in float.
     *
     * @param word a 32-bit random word; only its top 24 bits are used
     * @return a uniform number in [0, 1) on a 2^-24 grid
     */
    public static float toUniform(int word) {
        return (word >>> 8) * 0x1.0p-24f;
    }
}
