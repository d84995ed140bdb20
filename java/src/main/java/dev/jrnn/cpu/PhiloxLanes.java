package dev.jrnn.cpu;

import dev.jrnn.backend.Philox;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Philox#block} for {@link #LANES} consecutive block counters at once: each 32-bit word
 * lives zero-extended in a 64-bit lane, so the 32 x 32 -> 64 bit products of a round are plain
 * lane multiplies. The words are bit-identical to {@link Philox#block}'s.
 */
final class PhiloxLanes {
    private static final VectorSpecies<Long> S = LongVector.SPECIES_PREFERRED;
    /** Blocks per call. */
    static final int LANES = S.length();
    private static final long LOW = 0xFFFFFFFFL;
    private static final long M0 = Philox.M0 & LOW, M1 = Philox.M1 & LOW;

    private PhiloxLanes() {}

    /**
     * Words of blocks {@code q0 .. q0+LANES-1} of counter {@code (q, c1, c2, c3)} and key
     * {@code (k0, k1)}: word {@code l} of block {@code q0 + b} goes to {@code out[l*LANES + b]}
     * (as an unsigned 32-bit value).
     */
    static void blocks(int q0, int c1, int c2, int c3, int k0, int k1, long[] out) {
        LongVector x0 = LongVector.broadcast(S, q0 & LOW).add(LongVector.zero(S).addIndex(1)).and(LOW);
        LongVector x1 = LongVector.broadcast(S, c1 & LOW);
        LongVector x2 = LongVector.broadcast(S, c2 & LOW);
        LongVector x3 = LongVector.broadcast(S, c3 & LOW);
        int key0 = k0, key1 = k1;
        for (int r = 0; r < Philox.ROUNDS; r++) {
            if (r > 0) {
                key0 += Philox.W0;
                key1 += Philox.W1;
            }
            LongVector p0 = x0.mul(M0), p1 = x2.mul(M1);
            LongVector hi0 = p0.lanewise(VectorOperators.LSHR, 32), lo0 = p0.and(LOW);
            LongVector hi1 = p1.lanewise(VectorOperators.LSHR, 32), lo1 = p1.and(LOW);
            x0 = hi1.lanewise(VectorOperators.XOR, x1).lanewise(VectorOperators.XOR, key0 & LOW);
            x1 = lo1;
            x2 = hi0.lanewise(VectorOperators.XOR, x3).lanewise(VectorOperators.XOR, key1 & LOW);
            x3 = lo0;
        }
        x0.intoArray(out, 0);
        x1.intoArray(out, LANES);
        x2.intoArray(out, 2 * LANES);
        x3.intoArray(out, 3 * LANES);
    }
}
