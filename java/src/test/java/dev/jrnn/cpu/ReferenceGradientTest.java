package dev.jrnn.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    private static final double H = 1e-6;
    private static final double TOL = 1e-6;
    private final ReferenceBackend be = new ReferenceBackend();

    private static double[] random(SplittableRandom rnd, int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextDouble() * 2 - 1) * scale;
        return a;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Checks d(loss)/d(v[i]) for every i against {@code analytic}, perturbing v in place. */
    private static void check(String what, double[] v, double[] analytic, Supplier<Double> loss) {
        double worst = 0;
        for (int i = 0; i < v.length; i++) {
            double old = v[i];
            v[i] = old + H;
            double lp = loss.get();
            v[i] = old - H;
            double lm = loss.get();
            v[i] = old;
            double numeric = (lp - lm) / (2 * H);
            double err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric));
            worst = Math.max(worst, err);
            assertTrue(err < TOL, what + "[" + i + "]: numeric " + numeric + " vs analytic " + analytic[i]);
        }
        assertTrue(worst >= 0);
    }

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
