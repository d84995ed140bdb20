package dev.jrnn.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 {@code exp}, {@code sigmoid} and {@code tanh} as Vector API lanes and as scalar twins.
 *
 * <p>{@code exp} is Cephes' {@code expf}: {@code x = n ln2 + r} with {@code |r| <= ln2/2}
 * (ln2 split in two for an exact reduction), a degree-7 polynomial in {@code r}, then
 * {@code 2^n} built in the exponent bits. Relative error is below 2e-7 on the clamped range
 * [-87.3, 88.3]; inputs beyond it are clamped, which only matters where the result is
 * already 0 or near {@code Float.MAX_VALUE}.
 *
 * <p>NB: every scalar twin performs the same float operations in the same order (with
 * {@link Math#fma}), so a loop's scalar tail returns bit-for-bit what a vector lane would.
 */
final class VectorMath {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4B400000;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;
    private static final float MIN_X = -87.3f;
    private static final float MAX_X = 88.3f;

    private VectorMath() {}

    static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> s = x.species();
        x = x.max(MIN_X).min(MAX_X);
        FloatVector t = x.fma(FloatVector.broadcast(s, LOG2E), FloatVector.broadcast(s, ROUNDER));
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(s, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(s, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(s, P0);
        p = p.fma(r, FloatVector.broadcast(s, P1));
        p = p.fma(r, FloatVector.broadcast(s, P2));
        p = p.fma(r, FloatVector.broadcast(s, P3));
        p = p.fma(r, FloatVector.broadcast(s, P4));
        p = p.fma(r, FloatVector.broadcast(s, P5));
        p = p.fma(r.mul(r), r.add(1f));
        // t's low mantissa bits hold n (two's complement offset by ROUNDER); shift them into the exponent
        IntVector scale = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS - 127)
                .lanewise(VectorOperators.LSHL, 23);
        return p.mul(scale.reinterpretAsFloats());
    }

    static float exp(float x) {
        x = Math.min(Math.max(x, MIN_X), MAX_X);
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = P0;
        p = Math.fma(p, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r + 1f);
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - (ROUNDER_BITS - 127)) << 23);
        return p * scale;
    }

    /** {@code 1 / (1 + exp(-x))}. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(x.species(), 1f);
        return one.div(exp(x.neg()).add(one));
    }

    static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    /** {@code sign(x) (1 - e) / (1 + e)} with {@code e = exp(-2|x|)}, which never overflows. */
    static FloatVector tanh(FloatVector x) {
        FloatVector one = FloatVector.broadcast(x.species(), 1f);
        FloatVector e = exp(x.abs().mul(-2f));
        FloatVector r = one.sub(e).div(one.add(e));
        return r.blend(r.neg(), x.lt(0f));
    }

    static float tanh(float x) {
        float e = exp(Math.abs(x) * -2f);
        float r = (1f - e) / (1f + e);
        return x < 0f ? -r : r;
    }

    /** {@code max(x, 0)}. */
    static FloatVector relu(FloatVector x) {
        return x.max(0f);
    }

    static float relu(float x) {
        return x > 0f ? x : 0f;
    }
}
