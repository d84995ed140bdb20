package dev.jrnn.nn;

import dev.jrnn.backend.RnnSpec;
import java.util.SplittableRandom;

/**
 * Keras' default initialisation, drawn on the host from a seeded generator so a seed gives the
 * same weights on every backend: Glorot-uniform kernels, orthogonal recurrent kernels, zero
 * biases, and an LSTM forget-gate bias of 1 ({@code unit_forget_bias=True}).
 */
public final class Initializers {
    private Initializers() {}

    /**
     * Draws a model's initial parameters. Each layer draws from its own split of one
     * {@link SplittableRandom}, so the result depends only on the model and the seed.
     *
     * @param model the model whose parameters to draw
     * @param seed  the run's seed
     * @return a new array of {@code model.paramCount()} floats in the canonical flat layout, at
     *         the offsets {@link Sequential#paramOffset(int)} gives
     */
    public static float[] initialParameters(Sequential model, long seed) {
        float[] p = new float[model.paramCount()];
        SplittableRandom root = new SplittableRandom(seed);
        for (int i = 0; i < model.layers().size(); i++) {
            SplittableRandom rnd = root.split();
            Layer layer = model.layers().get(i);
            int off = model.paramOffset(i);
            if (layer instanceof Recurrent r) {
                recurrent(rnd, r.spec(model.inputShape(i).dim(1)), p, off);
            } else if (layer instanceof Bidirectional b) {
                layer(rnd, b.spec(model.inputShape(i).dim(1)), p, off);
            } else if (layer instanceof Dense d) {
                int in = model.inputShape(i).dim(0);
                glorotUniform(rnd, p, off, d.units() * in, in, d.units());
            }
        }
        return p;
    }

    /**
     * Initial parameters of one standalone recurrent layer or stack, in {@link RnnSpec}'s canonical
     * layout: the same values the layers would get as the first layers of a {@link Sequential}
     * model initialised with the same seed.
     *
     * @param spec the layer, or the stack
     * @param seed the seed
     * @return {@link RnnSpec#paramCount()} floats: Glorot-uniform W, orthogonal R, zero biases
     *         except an LSTM forget-gate bias of 1, layer by layer (and direction by direction)
     */
    public static float[] initialParameters(RnnSpec spec, long seed) {
        float[] p = new float[spec.paramCount()];
        SplittableRandom root = new SplittableRandom(seed);
        for (int l = 0; l < spec.layers(); l++) layer(root.split(), spec.layer(l), p, spec.layerOffset(l));
        return p;
    }

    /**
     * One layer, in one or both directions. NB: a bidirectional layer's directions draw from two
     * splits of the layer's generator, so each is initialised as a unidirectional layer would be; a
     * unidirectional layer draws from the generator itself, as before bidirectional layers existed.
     */
    private static void layer(SplittableRandom rnd, RnnSpec one, float[] p, int off) {
        if (!one.bidirectional()) {
            recurrent(rnd, one, p, off);
            return;
        }
        for (int d = 0; d < one.directions(); d++) recurrent(rnd.split(), one.unidirectional(), p, off + one.directionOffset(d));
    }

    private static void recurrent(SplittableRandom rnd, RnnSpec s, float[] p, int off) {
        int gh = s.gateWidth();
        // Keras kernel (F, G*H): fan_in F, fan_out G*H; stored transposed as W (G*H, F).
        glorotUniform(rnd, p, off + s.offsetW(), gh * s.inputSize(), s.inputSize(), gh);
        // Keras recurrent kernel (H, G*H) has orthonormal rows: our R (G*H, H) has orthonormal columns.
        orthogonal(rnd, p, off + s.offsetR(), gh, s.units());
        if (s.cell() == RnnSpec.Cell.LSTM) {
            for (int u = 0; u < s.units(); u++) p[off + s.offsetBias() + s.units() + u] = 1f;
        }
    }

    static void glorotUniform(SplittableRandom rnd, float[] p, int off, int n, int fanIn, int fanOut) {
        double limit = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < n; i++) p[off + i] = (float) ((rnd.nextDouble() * 2 - 1) * limit);
    }

    /** Writes a (rows, cols) matrix, rows >= cols, with orthonormal columns (QR of a Gaussian, sign-fixed). */
    static void orthogonal(SplittableRandom rnd, float[] p, int off, int rows, int cols) {
        double[][] q = new double[cols][rows];                // q[c] is column c
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) q[c][r] = gaussian(rnd);
        }
        for (int c = 0; c < cols; c++) {                      // modified Gram-Schmidt
            for (int k = 0; k < c; k++) {
                double d = 0;
                for (int r = 0; r < rows; r++) d += q[c][r] * q[k][r];
                for (int r = 0; r < rows; r++) q[c][r] -= d * q[k][r];
            }
            double norm = 0;
            for (int r = 0; r < rows; r++) norm += q[c][r] * q[c][r];
            norm = Math.sqrt(norm);
            for (int r = 0; r < rows; r++) q[c][r] /= norm;
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) p[off + r * cols + c] = (float) q[c][r];
        }
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
