package dev.jrnn.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 {@code sigmoid}, {@code tanh} and {@code relu} over ranges of float arrays, with
 * scalar twins for loop tails and the non-vector path.
 *
 * <p>Both sigmoid and tanh are the logistic {@code a / (1 + exp(-k x)) + b}: sigmoid with
 * (k, a, b) = (1, 1, 0), tanh with (2, 2, -1). {@code exp} is Cephes' {@code expf}:
 * {@code x = n ln2 + r} with {@code |r| <= ln2/2} (ln2 split in two for an exact reduction),
 * a degree-7 polynomial in {@code r}, then {@code 2^n} built in the exponent bits. Its relative
 * error is below 2e-7 on the clamped range [-87.3, 88.3]; clamping only matters where the
 * result is already 0 or near {@code Float.MAX_VALUE}, and it keeps {@code 1 + exp} finite.
 * The absolute error of sigmoid and tanh is about 1e-7.
 *
 * <p>NB: the API is array ranges, not vectors, on purpose. C2 stops inlining ordinary methods
 * once the caller's node count passes a cutoff; a helper that takes or returns a
 * {@code FloatVector} and is not inlined boxes its vectors and runs the Vector API's slow
 * fallback. Array-range helpers are safe to leave un-inlined, and the Vector API's own
 * methods are force-inlined regardless.
 *
 * <p>Non-finite inputs: NaN gives NaN and {@code +-Inf} the functions' exact limits (0, 1, -1),
 * as the reference backend; a vector with such a lane is fixed up by a masked blend.
 *
 * <p>NB: every scalar twin performs the same float operations in the same order (with
 * {@link Math#fma}), so a loop's scalar tail returns bit-for-bit what a vector lane would.
 */
final class VectorMath {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();

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
    private static final int MIN_X_BITS = Float.floatToRawIntBits(MIN_X);
    private static final int MAX_X_BITS = Float.floatToRawIntBits(MAX_X);

    private VectorMath() {}

    /**
     * {@code sigmoid} of {@code rows} rows of n floats, ss apart from src[s], into rows ds apart
     * from dst[d]; src and dst may be the same.
     */
    static void sigmoid(boolean vector, int rows, float[] src, int s, int ss, float[] dst, int d, int ds, int n) {
        logistic(vector, rows, src, s, ss, dst, d, ds, n, 1f, 1f, 0f);
    }

    /** {@code tanh}, laid out as {@link #sigmoid(boolean, int, float[], int, int, float[], int, int, int)}. */
    static void tanh(boolean vector, int rows, float[] src, int s, int ss, float[] dst, int d, int ds, int n) {
        logistic(vector, rows, src, s, ss, dst, d, ds, n, 2f, 2f, -1f);
    }

    /** {@code max(x, 0)}, laid out as {@link #sigmoid(boolean, int, float[], int, int, float[], int, int, int)}. */
    static void relu(boolean vector, int rows, float[] src, int s, int ss, float[] dst, int d, int ds, int n) {
        for (int r = 0; r < rows; r++) {
            int so = s + r * ss, o = d + r * ds;
            int i = 0;
            if (vector) {
                for (; i <= n - L; i += L) {           // a signed int max with 0 zeroes every negative float,
                    FloatVector x = FloatVector.fromArray(SPECIES, src, so + i);   // then NaN lanes are put back
                    ((IntVector) x.reinterpretAsInts()).max(0).reinterpretAsFloats()
                            .blend(x, x.test(VectorOperators.IS_NAN)).intoArray(dst, o + i);
                }
            }
            for (; i < n; i++) dst[o + i] = relu(src[so + i]);
        }
    }

    /**
     * {@code dst = a / (1 + exp(-k src)) + b} over {@code rows} rows (src rows ss apart from
     * src[s0], dst rows ds apart from dst[d0]), the exp written out so no vector crosses a call.
     * NB: the row loop is in here rather than in the callers: this method is too big for C2 to
     * inline, and a call per LSTM row of 2 to 4 vectors was a visible share of the gate math.
     */
    private static void logistic(boolean vector, int rows, float[] src, int s0, int ss, float[] dst, int d0, int ds,
                                 int n, float k, float a, float b) {
        VectorSpecies<Float> sp = SPECIES;
        FloatVector one = FloatVector.broadcast(sp, 1f);
        for (int row = 0; row < rows; row++) {
            int s = s0 + row * ss, d = d0 + row * ds;
            int i = 0;
            if (vector) {
                for (; i <= n - L; i += L) {
                    FloatVector in = FloatVector.fromArray(sp, src, s + i);
                    FloatVector x = clamp(in.mul(-k));
                    FloatVector t = x.fma(FloatVector.broadcast(sp, LOG2E), FloatVector.broadcast(sp, ROUNDER));
                    FloatVector m = t.sub(ROUNDER);
                    FloatVector r = m.fma(FloatVector.broadcast(sp, -LN2_HI), x);
                    r = m.fma(FloatVector.broadcast(sp, -LN2_LO), r);
                    FloatVector p = FloatVector.broadcast(sp, P0);
                    p = p.fma(r, FloatVector.broadcast(sp, P1));
                    p = p.fma(r, FloatVector.broadcast(sp, P2));
                    p = p.fma(r, FloatVector.broadcast(sp, P3));
                    p = p.fma(r, FloatVector.broadcast(sp, P4));
                    p = p.fma(r, FloatVector.broadcast(sp, P5));
                    p = p.fma(r.mul(r), r.add(one));
                    // t's low mantissa bits hold m (offset by ROUNDER); shift them into the exponent
                    FloatVector scale = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS - 127)
                            .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                    FloatVector e = p.mul(scale);
                    FloatVector y = FloatVector.broadcast(sp, a).div(e.add(one)).add(b);
                    // NB: the clamp maps NaN to a bound and +-Inf to results a subnormal away from the limits;
                    // such lanes (rare: one test and a predictable branch per vector) take NaN or the exact
                    // limit, as the scalar twin and the reference backend do.
                    VectorMask<Float> special = in.test(VectorOperators.IS_FINITE).not();
                    if (special.anyTrue()) {
                        FloatVector limit = FloatVector.broadcast(sp, b).blend(a + b, in.compare(VectorOperators.GT, 0f))
                                .blend(in, in.test(VectorOperators.IS_NAN));
                        y = y.blend(limit, special);
                    }
                    y.intoArray(dst, d + i);
                }
            }
            for (; i < n; i++) dst[d + i] = logistic(src[s + i], k, a, b);
        }
    }

    /**
     * {@code min(max(x, MIN_X), MAX_X)} on the bit patterns: a signed int min caps positive
     * floats, an unsigned one caps negative floats (whose unsigned bits grow with magnitude).
     * NB: FloatVector.max/min must honour Java's NaN and signed-zero rules, which costs x86 a
     * handful of instructions each; the integer forms are one instruction.
     */
    private static FloatVector clamp(FloatVector x) {
        return ((IntVector) x.reinterpretAsInts()).min(MAX_X_BITS).lanewise(VectorOperators.UMIN, MIN_X_BITS)
                .reinterpretAsFloats();
    }

    private static float logistic(float x, float k, float a, float b) {
        if (Float.isInfinite(x)) return x > 0 ? a + b : b;   // the exact limits, as the vector lanes
        return a / (exp(x * -k) + 1f) + b;
    }

    static float exp(float x) {
        x = Math.min(Math.max(x, MIN_X), MAX_X);
        float t = Math.fma(x, LOG2E, ROUNDER);
        float m = t - ROUNDER;
        float r = Math.fma(m, -LN2_HI, x);
        r = Math.fma(m, -LN2_LO, r);
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
    static float sigmoid(float x) {
        return logistic(x, 1f, 1f, 0f);
    }

    /** {@code 2 / (1 + exp(-2x)) - 1}. */
    static float tanh(float x) {
        return logistic(x, 2f, 2f, -1f);
    }

    /** {@code max(x, 0)}; NaN stays NaN, as in the reference backend and PyTorch. */
    static float relu(float x) {
        return x > 0f || x != x ? x : 0f;
    }
}
