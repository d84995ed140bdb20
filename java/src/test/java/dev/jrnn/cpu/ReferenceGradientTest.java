package dev.jrnn.cpu;

import static dev.jrnn.cpu.FiniteDifferences.check;
import static dev.jrnn.cpu.FiniteDifferences.dot;
import static dev.jrnn.cpu.FiniteDifferences.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Central finite differences in float64 against the reference backend's analytic gradients.
 * Loss for the RNN and Dense checks is {@code L = sum(out * G)} with a fixed random G.
 */
class ReferenceGradientTest {
    private final ReferenceBackend be = new ReferenceBackend();

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"LSTM, TANH", "LSTM, RELU", "GRU, TANH", "GRU, RELU"})
    void rnnGradientsMatchFiniteDifferences(RnnSpec.Cell cell, Activation act) {
        int B = 2, T = 4, F = 3, U = 5;
        RnnSpec spec = new RnnSpec(cell, F, U, act);
        SplittableRandom rnd = new SplittableRandom(42);
        double[] x = random(rnd, B * T * F, 1.0);
        double[] p = random(rnd, spec.paramCount(), 0.6);
        double[] g = random(rnd, B * T * U, 1.0);
        Supplier<Double> loss = () -> {
            DoubleTensor y = be.allocate(B * T * U);
            be.rnnForward(spec, B, T, be.of(x), be.of(p), y, be.allocate(B * spec.reservePerSample(T)));
            return dot(ReferenceBackend.toArray(y), g);
        };
        DoubleTensor xt = be.of(x), pt = be.of(p), y = be.allocate(B * T * U);
        DoubleTensor reserve = be.allocate(B * spec.reservePerSample(T));
        be.rnnForward(spec, B, T, xt, pt, y, reserve);
        DoubleTensor dx = be.allocate(x.length), dp = be.allocate(p.length);
        be.rnnBackward(spec, B, T, xt, pt, y, reserve, be.of(g), dx, dp);
        check("dx", x, ReferenceBackend.toArray(dx), loss);
        check("dparams", p, ReferenceBackend.toArray(dp), loss);
    }

    /**
     * The full forms with random initial states (hx, cx) and a loss that also weighs the final
     * states: {@code L = sum(y * G) + sum(hy * Gh) + sum(cy * Gc)}, so the backward pass gets
     * non-zero dhy and dcy; checks dx, dhx, dcx and dParams, and that hy is y's last step.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"LSTM, TANH", "LSTM, RELU", "GRU, TANH", "GRU, RELU"})
    void rnnGradientsWithStatesMatchFiniteDifferences(RnnSpec.Cell cell, Activation act) {
        int B = 2, T = 4, F = 3, U = 5;
        RnnSpec spec = new RnnSpec(cell, F, U, act);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        SplittableRandom rnd = new SplittableRandom(43);
        double[] x = random(rnd, B * T * F, 1.0);
        double[] p = random(rnd, spec.paramCount(), 0.6);
        double[] hx = random(rnd, B * U, 1.0), cx = lstm ? random(rnd, B * U, 1.5) : null;
        double[] g = random(rnd, B * T * U, 1.0), gh = random(rnd, B * U, 1.0), gc = lstm ? random(rnd, B * U, 1.0) : null;
        Supplier<Double> loss = () -> {
            DoubleTensor y = be.allocate(B * T * U), hy = be.allocate(B * U), cy = lstm ? be.allocate(B * U) : null;
            be.rnnForward(spec, B, T, be.of(x), be.of(hx), lstm ? be.of(cx) : null, be.of(p), y, hy, cy,
                    be.allocate(B * spec.reservePerSample(T)));
            double l = dot(ReferenceBackend.toArray(y), g) + dot(ReferenceBackend.toArray(hy), gh);
            return lstm ? l + dot(ReferenceBackend.toArray(cy), gc) : l;
        };
        DoubleTensor xt = be.of(x), pt = be.of(p), hxt = be.of(hx), cxt = lstm ? be.of(cx) : null;
        DoubleTensor y = be.allocate(B * T * U), hy = be.allocate(B * U), cy = lstm ? be.allocate(B * U) : null;
        DoubleTensor reserve = be.allocate(B * spec.reservePerSample(T));
        be.rnnForward(spec, B, T, xt, hxt, cxt, pt, y, hy, cy, reserve);
        double[] ys = ReferenceBackend.toArray(y), last = new double[B * U];
        for (int b = 0; b < B; b++) System.arraycopy(ys, (b * T + T - 1) * U, last, b * U, U);
        assertArrayEquals(last, ReferenceBackend.toArray(hy), "hy is y[:, T-1]");
        DoubleTensor dx = be.allocate(x.length), dp = be.allocate(p.length);
        DoubleTensor dhx = be.allocate(B * U), dcx = lstm ? be.allocate(B * U) : null;
        be.fill(dhx, Float.NaN);                                // overwritten, not accumulated
        if (dcx != null) be.fill(dcx, Float.NaN);
        be.rnnBackward(spec, B, T, xt, hxt, cxt, pt, y, reserve, be.of(g), be.of(gh), lstm ? be.of(gc) : null,
                dx, dhx, dcx, dp);
        check("dx", x, ReferenceBackend.toArray(dx), loss);
        check("dhx", hx, ReferenceBackend.toArray(dhx), loss);
        if (lstm) check("dcx", cx, ReferenceBackend.toArray(dcx), loss);
        check("dparams", p, ReferenceBackend.toArray(dp), loss);
    }

    /**
     * cy (and hy) are right: running T1 steps, then the remaining steps from their hy and cy,
     * gives the same outputs and final states as one run over all T steps.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"LSTM, TANH", "LSTM, RELU", "GRU, TANH", "GRU, RELU"})
    void finalStatesContinueTheSequence(RnnSpec.Cell cell, Activation act) {
        int B = 3, T = 5, T1 = 2, F = 4, U = 6;
        RnnSpec spec = new RnnSpec(cell, F, U, act);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        SplittableRandom rnd = new SplittableRandom(44);
        double[] x = random(rnd, B * T * F, 1.0), p = random(rnd, spec.paramCount(), 0.6);
        double[] hx = random(rnd, B * U, 1.0), cx = lstm ? random(rnd, B * U, 1.0) : null;
        DoubleTensor y = be.allocate(B * T * U), hy = be.allocate(B * U), cy = lstm ? be.allocate(B * U) : null;
        be.rnnForward(spec, B, T, be.of(x), be.of(hx), lstm ? be.of(cx) : null, be.of(p), y, hy, cy,
                be.allocate(B * spec.reservePerSample(T)));
        double[][] xs = {new double[B * T1 * F], new double[B * (T - T1) * F]};
        for (int b = 0; b < B; b++) {
            System.arraycopy(x, b * T * F, xs[0], b * T1 * F, T1 * F);
            System.arraycopy(x, (b * T + T1) * F, xs[1], b * (T - T1) * F, (T - T1) * F);
        }
        DoubleTensor h = be.of(hx), c = lstm ? be.of(cx) : null;
        double[] joined = new double[B * T * U];
        for (int part = 0; part < 2; part++) {
            int steps = part == 0 ? T1 : T - T1, t0 = part == 0 ? 0 : T1;
            DoubleTensor yp = be.allocate(B * steps * U), hNext = be.allocate(B * U), cNext = lstm ? be.allocate(B * U) : null;
            be.rnnForward(spec, B, steps, be.of(xs[part]), h, c, be.of(p), yp, hNext, cNext,
                    be.allocate(B * spec.reservePerSample(steps)));
            double[] ya = ReferenceBackend.toArray(yp);
            for (int b = 0; b < B; b++) System.arraycopy(ya, b * steps * U, joined, (b * T + t0) * U, steps * U);
            h = hNext;
            c = cNext;
        }
        assertArrayEquals(ReferenceBackend.toArray(y), joined, 1e-14, "y");
        assertArrayEquals(ReferenceBackend.toArray(hy), ReferenceBackend.toArray(h), 1e-14, "hy");
        if (lstm) assertArrayEquals(ReferenceBackend.toArray(cy), ReferenceBackend.toArray(c), 1e-14, "cy");
    }

    @Test
    void aGruHasNoCellStateAndStatesMustBeBigEnough() {
        RnnSpec gru = new RnnSpec(RnnSpec.Cell.GRU, 3, 4, Activation.TANH), lstm = new RnnSpec(RnnSpec.Cell.LSTM, 3, 4, Activation.TANH);
        int B = 2, T = 3;
        DoubleTensor x = be.allocate(B * T * 3), y = be.allocate(B * T * 4), s = be.allocate(B * 4), small = be.allocate(B * 4 - 1);
        DoubleTensor rg = be.allocate(B * gru.reservePerSample(T)), pg = be.allocate(gru.paramCount());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.rnnForward(gru, B, T, x, null, s, pg, y, null, null, rg));
        assertTrue(e.getMessage().contains("GRU has no cell state") && e.getMessage().contains("cx"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> be.rnnForward(gru, B, T, x, null, null, pg, y, null, s, rg));
        assertTrue(e.getMessage().contains("cy"), e.getMessage());
        for (int k = 0; k < 3; k++) {
            DoubleTensor dcy = k == 0 ? s : null, dcx = k == 1 ? s : null, cx = k == 2 ? s : null;
            e = assertThrows(IllegalArgumentException.class, () -> be.rnnBackward(gru, B, T, x, null, cx, pg, y, rg,
                    be.allocate(B * T * 4), null, dcy, null, null, dcx, be.allocate(gru.paramCount())));
            assertTrue(e.getMessage().contains("GRU has no cell state"), e.getMessage());
        }
        DoubleTensor rl = be.allocate(B * lstm.reservePerSample(T)), pl = be.allocate(lstm.paramCount());
        e = assertThrows(IllegalArgumentException.class, () -> be.rnnForward(lstm, B, T, x, small, null, pl, y, null, null, rl));
        assertTrue(e.getMessage().contains("hx"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> be.rnnForward(lstm, B, T, x, null, null, pl, y, null, small, rl));
        assertTrue(e.getMessage().contains("cy"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"LINEAR", "RELU", "TANH", "SIGMOID"})
    void denseGradientsMatchFiniteDifferences(Activation act) {
        int B = 3, in = 4, out = 5;
        SplittableRandom rnd = new SplittableRandom(7);
        double[] x = random(rnd, B * in, 1.0), w = random(rnd, out * in, 0.8), b = random(rnd, out, 0.5);
        double[] g = random(rnd, B * out, 1.0);
        Supplier<DoubleTensor> fwd = () -> {
            DoubleTensor y = be.allocate(B * out);
            be.gemm(false, true, B, out, in, 1f, be.of(x), be.of(w), 0f, y);
            be.biasActivation(B, out, y, be.of(b), act);
            return y;
        };
        Supplier<Double> loss = () -> dot(ReferenceBackend.toArray(fwd.get()), g);
        DoubleTensor y = fwd.get();
        DoubleTensor dy = be.of(g);
        be.activationBackward(B * out, act, y, dy);
        DoubleTensor dx = be.allocate(B * in), dw = be.allocate(out * in), db = be.allocate(out);
        be.gemm(false, false, B, in, out, 1f, dy, be.of(w), 0f, dx);
        be.gemm(true, false, out, in, B, 1f, dy, be.of(x), 1f, dw);
        be.biasGradient(B, out, dy, db);
        check("dx", x, ReferenceBackend.toArray(dx), loss);
        check("dw", w, ReferenceBackend.toArray(dw), loss);
        check("db", b, ReferenceBackend.toArray(db), loss);
    }

    @Test
    void softmaxCrossEntropyGradientMatchesFiniteDifferences() {
        int B = 4, C = 6;
        SplittableRandom rnd = new SplittableRandom(3);
        double[] logits = random(rnd, B * C, 3.0);
        double[] labels = {0, 5, 2, 2};
        Supplier<Double> loss = () -> {
            DoubleTensor stats = be.allocate(2);
            be.softmaxCrossEntropy(B, C, be.of(logits), be.of(labels), 1f / B, null, stats);
            return stats.get(0) / B;
        };
        DoubleTensor d = be.allocate(B * C), stats = be.allocate(2);
        be.softmaxCrossEntropy(B, C, be.of(logits), be.of(labels), 1f / B, d, stats);
        check("dlogits", logits, ReferenceBackend.toArray(d), loss);
        assertEquals(loss.get(), stats.get(0) / B, 1e-12);
    }

    @Test
    void softmaxCrossEntropyIsStableForHugeLogits() {
        DoubleTensor stats = be.allocate(2), d = be.allocate(3);
        be.softmaxCrossEntropy(1, 3, be.of(1000, 0, -1000), be.of(1), 1f, d, stats);
        assertEquals(1000, stats.get(0), 1e-9);
        assertEquals(1, stats.get(1) == 0 ? 1 : 0, "argmax 0 is not label 1");
        assertEquals(1.0, d.get(0), 1e-12);
        assertEquals(-1.0, d.get(1), 1e-12);
    }
}
