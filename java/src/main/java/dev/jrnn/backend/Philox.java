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
 */
public final class Philox {
    public static final int M0 = 0xD2511F53;
    public static final int M1 = 0xCD9E8D57;
    public static final int W0 = 0x9E3779B9;
    public static final int W1 = 0xBB67AE85;
    public static final int ROUNDS = 10;

    private Philox() {}

    /** Philox4x32-10 of a 4-word counter and a 2-word key; returns 4 words. */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        int[] out = new int[4];
        block(c0, c1, c2, c3, k0, k1, out);
        return out;
    }

    /** As {@link #block(int, int, int, int, int, int)}, writing into {@code out[0..4)}. */
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

    /** The 32-bit word for element {@code index} of dropout call (seed, step, salt). */
    public static int word(long seed, long step, int salt, long index) {
        int[] w = block((int) (index >>> 2), salt, (int) step, (int) (step >>> 32),
                (int) seed, (int) (seed >>> 32));
        return w[(int) (index & 3)];
    }

    /** Uniform in [0, 1) on a 2^-24 grid for element {@code index} of dropout call (seed, step, salt). */
    public static float uniform(long seed, long step, int salt, long index) {
        return toUniform(word(seed, step, salt, index));
    }

    /** Maps a random word to [0, 1) using its top 24 bits. */
    public static float toUniform(int word) {
        return (word >>> 8) * 0x1.0p-24f;
    }
}
