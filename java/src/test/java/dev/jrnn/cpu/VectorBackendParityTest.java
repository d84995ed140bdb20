package dev.jrnn.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Philox;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op of {@link VectorBackend} against {@link ReferenceBackend} on fresh random inputs
 * (a different named seed per case), plus dropout masks bit for bit and run-to-run
 * determinism.
 *
 * <p>Tolerances, {@code |actual - expected| <= abs + rel * |expected|}:
 * RNN forward/backward 1e-5 + 1e-4; GEMM 1e-5 + 1e-5 per 100 of k; element-wise ops 1e-6 + 1e-6;
 * dropout, lastStep and copies exact.
 */
class VectorBackendParityTest {
    private static final double RNN_ABS = 1e-5, RNN_REL = 1e-4;
    private static final double EW_ABS = 1e-6, EW_REL = 1e-6;

    private final ReferenceBackend ref = new ReferenceBackend();

    // ---- helpers -----------------------------------------------------------------------------

    /** A seed that differs for every case: the case's name hashed with a fixed salt. */
    private static SplittableRandom rng(String caseName) {
        return new SplittableRandom(0x6A726E6EL ^ ((long) caseName.hashCode() << 16));
    }

    private static float[] uniform(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static Tensor put(Backend be, float[] values) {
        Tensor t = be.allocate(values.length);
        be.write(values, 0, t, values.length);
        return t;
    }

    /** A view at a non-zero offset inside a larger buffer, holding {@code values}. */
    private static Tensor putOffset(Backend be, float[] values, int offset) {
        Tensor whole = be.allocate(values.length + offset + 5);
        be.fill(whole, Float.NaN);
        Tensor view = whole.slice(offset, values.length);
        be.write(values, 0, view, values.length);
        return view;
    }

    private static float[] get(Backend be, Tensor t) {
        float[] out = new float[t.size()];
        be.read(t, out, 0, out.length);
        return out;
    }

    static void assertClose(String what, float[] expected, float[] actual, double abs, double rel) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            double excess = Math.abs(a - e) - (abs + rel * Math.abs(e));
            if (Double.isNaN(excess)) excess = Double.POSITIVE_INFINITY;
            if (excess > worst) {
                worst = excess;
                worstAt = i;
            }
        }
        if (worstAt >= 0) {
            fail(what + ": element " + worstAt + " expected " + expected[worstAt] + " but was " + actual[worstAt]
                    + " (tolerance " + abs + " + " + rel + " * |expected|)");
        }
    }

    // ---- dense algebra -----------------------------------------------------------------------

    static Stream<Arguments> gemmCases() {
        List<Arguments> cases = new ArrayList<>();
        // n covers every column path: 64-wide blocks, 32 and 16 exactly, ragged ends padded to 16 or 32
        int[][] sizes = {{7, 13, 5}, {33, 70, 29}, {1, 1, 1}, {6, 64, 3}, {13, 97, 40}, {5, 28, 9}, {50, 48, 7},
                {9, 16, 0}, {300, 70, 600}};
        for (int[] s : sizes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (float beta : new float[] {0f, 1f, 0.5f}) {
                        for (int threads : new int[] {1, 2}) {
                            cases.add(Arguments.of(ta, tb, s[0], s[1], s[2], beta == 0.5f ? 0.7f : 1f, beta, threads));
                        }
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4} alpha={5} beta={6} threads={7}")
    @MethodSource("gemmCases")
    void gemmMatchesReference(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int threads) {
        SplittableRandom rnd = rng("gemm" + ta + tb + m + n + k + alpha + beta + threads);
        float[] a = uniform(rnd, m * k, 1), b = uniform(rnd, k * n, 1), c = uniform(rnd, m * n, 1);
        if (beta == 0f) java.util.Arrays.fill(c, Float.NaN);   // must be ignored
        Tensor ra = put(ref, a), rb = put(ref, b), rc = put(ref, c);
        ref.gemm(ta, tb, m, n, k, alpha, ra, rb, beta, rc);
        try (VectorBackend vb = new VectorBackend(threads)) {
            Tensor va = putOffset(vb, a, 3), vbT = put(vb, b), vc = putOffset(vb, c, 7);
            vb.gemm(ta, tb, m, n, k, alpha, va, vbT, beta, vc);
            assertClose("C", get(ref, rc), get(vb, vc), 1e-5 * Math.max(1, k / 100.0), 1e-5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"LINEAR", "RELU", "TANH", "SIGMOID"})
    void biasActivationAndBackwardMatchReference(Activation act) {
        SplittableRandom rnd = rng("biasAct" + act);
        try (VectorBackend vb = new VectorBackend(2)) {
            for (int[] shape : new int[][] {{5, 37}, {64, 64}, {3, 7}}) {
                int rows = shape[0], cols = shape[1];
                float[] y = uniform(rnd, rows * cols, 4), bias = uniform(rnd, cols, 1), g = uniform(rnd, rows * cols, 1);
                Tensor ry = put(ref, y), vy = putOffset(vb, y, 1);
                ref.biasActivation(rows, cols, ry, put(ref, bias), act);
                vb.biasActivation(rows, cols, vy, put(vb, bias), act);
                float[] out = get(ref, ry);
                assertClose(act + " forward " + rows + "x" + cols, out, get(vb, vy), EW_ABS, EW_REL);
                // backward from the same (reference) outputs, so only the op itself is compared
                Tensor rg = put(ref, g), vg = putOffset(vb, g, 2);
                ref.activationBackward(rows * cols, act, put(ref, out), rg);
                vb.activationBackward(rows * cols, act, put(vb, out), vg);
                assertClose(act + " backward " + rows + "x" + cols, get(ref, rg), get(vb, vg), EW_ABS, EW_REL);
            }
            assertThrows(IllegalArgumentException.class,
                    () -> vb.biasActivation(1, 2, vb.allocate(2), vb.allocate(2), Activation.SOFTMAX));
        }
    }

    @Test
    void biasGradientAccumulates() {
        SplittableRandom rnd = rng("biasGradient");
        try (VectorBackend vb = new VectorBackend(2)) {
            for (int[] shape : new int[][] {{33, 37}, {256, 64}, {4, 3}}) {
                int rows = shape[0], cols = shape[1];
                float[] dy = uniform(rnd, rows * cols, 1), db = uniform(rnd, cols, 1);
                Tensor rdb = put(ref, db), vdb = putOffset(vb, db, 4);
                ref.biasGradient(rows, cols, put(ref, dy), rdb);
                vb.biasGradient(rows, cols, putOffset(vb, dy, 1), vdb);
                assertClose("db " + rows + "x" + cols, get(ref, rdb), get(vb, vdb), EW_ABS * rows, EW_REL);
            }
        }
    }

    // ---- recurrent layers --------------------------------------------------------------------

    static Stream<Arguments> rnnCases() {
        List<Arguments> cases = new ArrayList<>();
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (Activation act : new Activation[] {Activation.TANH, Activation.RELU}) {
                for (int batch : new int[] {1, 7, 64}) {
                    for (int steps : new int[] {1, 5}) {
                        for (int[] fh : new int[][] {{3, 5}, {28, 32}}) {
                            for (int threads : new int[] {1, 2}) {
                                cases.add(Arguments.of(cell, act, batch, steps, fh[0], fh[1], threads));
                            }
                        }
                    }
                }
            }
        }
        return cases.stream();
    }

    /** y, dx and dParams of one forward + backward, read back as floats. */
    private record RnnResult(float[] y, float[] dx, float[] dParams) {}

    private static RnnResult runRnn(Backend be, RnnSpec spec, int batch, int steps,
                                    float[] x, float[] p, float[] dy, float[] dParams0, boolean withDx) {
        int H = spec.units(), F = spec.inputSize();
        Tensor tx = put(be, x), tp = put(be, p), ty = be.allocate(batch * steps * H);
        Tensor reserve = be.allocate(batch * spec.reservePerSample(steps));
        be.fill(ty, Float.NaN);                                 // every output must be written
        be.fill(reserve, Float.NaN);
        Reserves.of(be).rnnForward(spec, batch, steps, tx, tp, ty, reserve);
        Tensor tdx = withDx ? be.allocate(batch * steps * F) : null;
        if (tdx != null) be.fill(tdx, Float.NaN);
        Tensor tdp = put(be, dParams0);
        Reserves.of(be).rnnBackward(spec, batch, steps, tx, tp, ty, reserve, put(be, dy), tdx, tdp);
        return new RnnResult(get(be, ty), tdx == null ? null : get(be, tdx), get(be, tdp));
    }

    @ParameterizedTest(name = "{0} {1} B={2} T={3} F={4} H={5} threads={6}")
    @MethodSource("rnnCases")
    void rnnForwardAndBackwardMatchReference(RnnSpec.Cell cell, Activation act, int batch, int steps,
                                             int F, int H, int threads) {
        RnnSpec spec = new RnnSpec(cell, F, H, act);
        SplittableRandom rnd = rng("rnn" + cell + act + batch + steps + F + H + threads);
        float[] x = uniform(rnd, batch * steps * F, 1);
        float[] p = uniform(rnd, spec.paramCount(), 0.5);
        float[] dy = uniform(rnd, batch * steps * H, 1);
        float[] dp0 = uniform(rnd, spec.paramCount(), 1);       // backward must add to this
        RnnResult want = runRnn(ref, spec, batch, steps, x, p, dy, dp0, true);
        try (VectorBackend vb = new VectorBackend(threads)) {
            RnnResult got = runRnn(vb, spec, batch, steps, x, p, dy, dp0, true);
            assertClose("y", want.y(), got.y(), RNN_ABS, RNN_REL);
            assertClose("dx", want.dx(), got.dx(), RNN_ABS, RNN_REL);
            assertClose("dParams", want.dParams(), got.dParams(), RNN_ABS, RNN_REL);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"LSTM", "GRU"})
    void rnnBackwardWithoutDxStillGivesParameterGradients(RnnSpec.Cell cell) {
        RnnSpec spec = new RnnSpec(cell, 28, 32, Activation.TANH);
        int batch = 9, steps = 4;
        SplittableRandom rnd = rng("noDx" + cell);
        float[] x = uniform(rnd, batch * steps * 28, 1), p = uniform(rnd, spec.paramCount(), 0.5);
        float[] dy = uniform(rnd, batch * steps * 32, 1), dp0 = new float[spec.paramCount()];
        RnnResult want = runRnn(ref, spec, batch, steps, x, p, dy, dp0, false);
        try (VectorBackend vb = new VectorBackend(2)) {
            RnnResult got = runRnn(vb, spec, batch, steps, x, p, dy, dp0, false);
            assertClose("dParams", want.dParams(), got.dParams(), RNN_ABS, RNN_REL);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"LSTM", "GRU"})
    void rnnOpsRespectTensorOffsets(RnnSpec.Cell cell) {
        RnnSpec spec = new RnnSpec(cell, 6, 17, Activation.TANH);
        int batch = 5, steps = 3, F = 6, H = 17;
        SplittableRandom rnd = rng("offsets" + cell);
        float[] x = uniform(rnd, batch * steps * F, 1), p = uniform(rnd, spec.paramCount(), 0.5);
        float[] dy = uniform(rnd, batch * steps * H, 1), dp0 = uniform(rnd, spec.paramCount(), 1);
        RnnResult want = runRnn(ref, spec, batch, steps, x, p, dy, dp0, true);
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor tx = putOffset(vb, x, 3), tp = putOffset(vb, p, 5);
            Tensor ty = vb.allocate(batch * steps * H + 11).slice(11, batch * steps * H);
            Tensor reserve = vb.allocate(batch * spec.reservePerSample(steps) + 2).slice(2, batch * spec.reservePerSample(steps));
            vb.rnnForward(spec, batch, steps, tx, tp, ty, reserve);
            Tensor tdx = putOffset(vb, new float[batch * steps * F], 1), tdp = putOffset(vb, dp0, 9);
            vb.rnnBackward(spec, batch, steps, tx, tp, ty, reserve, putOffset(vb, dy, 4), tdx, tdp);
            assertClose("y", want.y(), get(vb, ty), RNN_ABS, RNN_REL);
            assertClose("dx", want.dx(), get(vb, tdx), RNN_ABS, RNN_REL);
            assertClose("dParams", want.dParams(), get(vb, tdp), RNN_ABS, RNN_REL);
        }
    }

    // ---- recurrent layers with initial and final states ---------------------------------------

    static Stream<Arguments> rnnStateCases() {
        List<Arguments> cases = new ArrayList<>();
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (Activation act : new Activation[] {Activation.TANH, Activation.RELU}) {
                for (int batch : new int[] {1, 7, 61}) {             // 61: more than one row block per chunk
                    for (int steps : new int[] {1, 28}) {
                        for (int units : new int[] {32, 64}) {
                            for (int threads : new int[] {1, 2}) {
                                cases.add(Arguments.of(cell, act, batch, steps, units, threads));
                            }
                        }
                    }
                }
            }
        }
        return cases.stream();
    }

    /** Everything one forward + backward with states gives, read back as floats (cy, dcx null for GRU). */
    private record StateResult(float[] y, float[] hy, float[] cy, float[] dx, float[] dhx, float[] dcx, float[] dParams) {
        void assertSameBits(StateResult o, String what) {
            assertArrayEquals(y, o.y, what + ": y");
            assertArrayEquals(hy, o.hy, what + ": hy");
            assertArrayEquals(cy, o.cy, what + ": cy");
            assertArrayEquals(dx, o.dx, what + ": dx");
            assertArrayEquals(dhx, o.dhx, what + ": dhx");
            assertArrayEquals(dcx, o.dcx, what + ": dcx");
            assertArrayEquals(dParams, o.dParams, what + ": dParams");
        }
    }

    /**
     * The full forms: forward from hx, cx (null for zeros) writing hy, cy; backward with dhy, dcy
     * (null for zeros) writing dhx, dcx. Every output starts as NaN, so each must be written.
     */
    private static StateResult runRnnStates(Backend be, RnnSpec spec, int batch, int steps, float[] x, float[] hx,
                                            float[] cx, float[] p, float[] dy, float[] dhy, float[] dcy, float[] dParams0) {
        int H = spec.units(), F = spec.inputSize();
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        Tensor tx = put(be, x), tp = put(be, p);
        Tensor thx = hx == null ? null : put(be, hx), tcx = cx == null ? null : put(be, cx);
        Tensor ty = nans(be, batch * steps * H), reserve = nans(be, batch * spec.reservePerSample(steps));
        Tensor thy = nans(be, batch * H), tcy = lstm ? nans(be, batch * H) : null;
        Reserves.of(be).rnnForward(spec, batch, steps, tx, thx, tcx, tp, ty, thy, tcy, reserve);
        Tensor tdx = nans(be, batch * steps * F), tdhx = nans(be, batch * H), tdcx = lstm ? nans(be, batch * H) : null;
        Tensor tdp = put(be, dParams0);
        Reserves.of(be).rnnBackward(spec, batch, steps, tx, thx, tcx, tp, ty, reserve, put(be, dy),
                dhy == null ? null : put(be, dhy), dcy == null ? null : put(be, dcy), tdx, tdhx, tdcx, tdp);
        return new StateResult(get(be, ty), get(be, thy), lstm ? get(be, tcy) : null, get(be, tdx), get(be, tdhx),
                lstm ? get(be, tdcx) : null, get(be, tdp));
    }

    @ParameterizedTest(name = "{0} {1} B={2} T={3} threads={4}")
    @CsvSource({"LSTM, TANH, 37, 5, 2", "LSTM, RELU, 9, 1, 1", "GRU, TANH, 37, 6, 2", "LSTM, TANH, 100, 28, 2"})
    void inferenceForwardIsBitIdenticalToTrainingForward(RnnSpec.Cell cell, Activation act, int batch, int steps, int threads) {
        int F = 28, H = 32;
        RnnSpec spec = new RnnSpec(cell, F, H, act);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        SplittableRandom rnd = rng("inference" + cell + act + batch + steps + threads);
        float[] x = uniform(rnd, batch * steps * F, 1), p = uniform(rnd, spec.paramCount(), Math.sqrt(3.0 / (F + H)));
        float[] hx = uniform(rnd, batch * H, 1), cx = uniform(rnd, batch * H, 1);
        try (VectorBackend vb = new VectorBackend(threads)) {
            float[][] out = new float[2][];
            for (int pass = 0; pass < 2; pass++) {                 // pass 0 with a reserve, pass 1 without (inference)
                Tensor y = nans(vb, batch * steps * H), hy = nans(vb, batch * H), cy = lstm ? nans(vb, batch * H) : null;
                Tensor reserve = pass == 0 ? nans(vb, batch * spec.reservePerSample(steps)) : null;
                vb.rnnForward(spec, batch, steps, put(vb, x), put(vb, hx), lstm ? put(vb, cx) : null, put(vb, p),
                        y, hy, cy, reserve);
                float[] ys = get(vb, y), hs = get(vb, hy), cs = lstm ? get(vb, cy) : new float[0];
                out[pass] = new float[ys.length + hs.length + cs.length];
                System.arraycopy(ys, 0, out[pass], 0, ys.length);
                System.arraycopy(hs, 0, out[pass], ys.length, hs.length);
                System.arraycopy(cs, 0, out[pass], ys.length + hs.length, cs.length);
            }
            assertArrayEquals(out[0], out[1], "y, hy, cy without a reserve");
        }
    }

    private static Tensor nans(Backend be, int n) {
        Tensor t = be.allocate(n);
        be.fill(t, Float.NaN);
        return t;
    }

    @ParameterizedTest(name = "{0} {1} B={2} T={3} H={4} threads={5}")
    @MethodSource("rnnStateCases")
    void rnnWithStatesMatchesReference(RnnSpec.Cell cell, Activation act, int batch, int steps, int units, int threads) {
        int F = 28;
        RnnSpec spec = new RnnSpec(cell, F, units, act);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        SplittableRandom rnd = rng("rnnStates" + cell + act + batch + steps + units + threads);
        // NB: weights at Glorot scale: with 0.5 a relu cell's state grows without bound over 28 steps,
        // and float32 and float64 part ways for reasons that have nothing to do with the states
        float[] x = uniform(rnd, batch * steps * F, 1), p = uniform(rnd, spec.paramCount(), Math.sqrt(3.0 / (F + units)));
        float[] hx = uniform(rnd, batch * units, 1), cx = lstm ? uniform(rnd, batch * units, 2) : null;
        float[] dy = uniform(rnd, batch * steps * units, 1), dhy = uniform(rnd, batch * units, 1);
        float[] dcy = lstm ? uniform(rnd, batch * units, 1) : null, dp0 = uniform(rnd, spec.paramCount(), 1);
        StateResult want = runRnnStates(ref, spec, batch, steps, x, hx, cx, p, dy, dhy, dcy, dp0);
        try (VectorBackend vb = new VectorBackend(threads)) {
            StateResult got = runRnnStates(vb, spec, batch, steps, x, hx, cx, p, dy, dhy, dcy, dp0);
            assertClose("y", want.y(), got.y(), RNN_ABS, RNN_REL);
            assertClose("hy", want.hy(), got.hy(), RNN_ABS, RNN_REL);
            if (lstm) assertClose("cy", want.cy(), got.cy(), RNN_ABS, RNN_REL);
            assertClose("dx", want.dx(), got.dx(), RNN_ABS, RNN_REL);
            assertClose("dhx", want.dhx(), got.dhx(), RNN_ABS, RNN_REL);
            if (lstm) assertClose("dcx", want.dcx(), got.dcx(), RNN_ABS, RNN_REL);
            assertClose("dParams", want.dParams(), got.dParams(), RNN_ABS, RNN_REL);
            runRnnStates(vb, spec, batch, steps, x, hx, cx, p, dy, dhy, dcy, dp0).assertSameBits(got, "run again");
        }
    }

    /** The 7- and 10-argument forms (null states) and explicit zero states give the same bits. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"LSTM, TANH", "GRU, TANH", "LSTM, RELU", "GRU, RELU"})
    void zeroStatesGiveTheSameBitsAsNullStates(RnnSpec.Cell cell, Activation act) {
        RnnSpec spec = new RnnSpec(cell, 28, 32, act);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        int batch = 13, steps = 5, H = 32;
        SplittableRandom rnd = rng("zeroStates" + cell + act);
        float[] x = uniform(rnd, batch * steps * 28, 1), p = uniform(rnd, spec.paramCount(), 0.5);
        float[] dy = uniform(rnd, batch * steps * H, 1), dp0 = uniform(rnd, spec.paramCount(), 1);
        float[] zeros = new float[batch * H];
        for (Backend be : new Backend[] {ref, new VectorBackend(2)}) {
            try (be) {
                RnnResult plain = runRnn(be, spec, batch, steps, x, p, dy, dp0, true);
                StateResult nul = runRnnStates(be, spec, batch, steps, x, null, null, p, dy, null, null, dp0);
                StateResult zero = runRnnStates(be, spec, batch, steps, x, zeros, lstm ? zeros : null, p, dy,
                        zeros, lstm ? zeros : null, dp0);
                for (StateResult r : new StateResult[] {nul, zero}) {
                    assertArrayEquals(plain.y(), r.y(), be.name() + " y");
                    assertArrayEquals(plain.dx(), r.dx(), be.name() + " dx");
                    assertArrayEquals(plain.dParams(), r.dParams(), be.name() + " dParams");
                }
                nul.assertSameBits(zero, be.name() + " null vs zero states");
                float[] last = new float[batch * H];
                for (int b = 0; b < batch; b++) System.arraycopy(nul.y(), (b * steps + steps - 1) * H, last, b * H, H);
                assertArrayEquals(last, nul.hy(), be.name() + " hy is y[:, T-1]");
            }
        }
    }

    /**
     * hy and cy carry the sequence on: T1 steps, then the rest from their hy and cy, give the
     * same y and final states bit for bit; and back-propagating the second part's dhx, dcx as
     * the first part's dhy, dcy gives the whole sequence's dx and (summed) dParams.
     */
    @ParameterizedTest(name = "{0} {1} threads={2}")
    @CsvSource({"LSTM, TANH, 1", "GRU, TANH, 1", "LSTM, RELU, 2", "GRU, RELU, 2", "LSTM, TANH, 2", "GRU, TANH, 2"})
    void finalStatesContinueTheSequence(RnnSpec.Cell cell, Activation act, int threads) {
        int batch = 9, T = 7, T1 = 3, F = 28, H = 32;
        RnnSpec spec = new RnnSpec(cell, F, H, act);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        SplittableRandom rnd = rng("continue" + cell + act + threads);
        float[] x = uniform(rnd, batch * T * F, 1), p = uniform(rnd, spec.paramCount(), 0.5);
        float[] hx = uniform(rnd, batch * H, 1), cx = lstm ? uniform(rnd, batch * H, 1) : null;
        float[] dy = uniform(rnd, batch * T * H, 1), dp0 = new float[spec.paramCount()];
        try (VectorBackend vb = new VectorBackend(threads)) {
            StateResult whole = runRnnStates(vb, spec, batch, T, x, hx, cx, p, dy, null, null, dp0);
            float[] x1 = slice(x, batch, T, F, 0, T1), x2 = slice(x, batch, T, F, T1, T);
            float[] dy1 = slice(dy, batch, T, H, 0, T1), dy2 = slice(dy, batch, T, H, T1, T);
            // the second part needs the first's final states before its own backward pass
            StateResult first = runRnnStates(vb, spec, batch, T1, x1, hx, cx, p, dy1, null, null, dp0);
            StateResult second = runRnnStates(vb, spec, batch, T - T1, x2, first.hy(), first.cy(), p, dy2, null, null, dp0);
            assertArrayEquals(whole.y(), join(first.y(), second.y(), batch, T1, T - T1, H), "y");
            assertArrayEquals(whole.hy(), second.hy(), "hy");
            assertArrayEquals(whole.cy(), second.cy(), "cy");
            StateResult firstBack = runRnnStates(vb, spec, batch, T1, x1, hx, cx, p, dy1, second.dhx(), second.dcx(),
                    second.dParams());
            assertClose("dx", whole.dx(), join(firstBack.dx(), second.dx(), batch, T1, T - T1, F), RNN_ABS, RNN_REL);
            assertClose("dhx", whole.dhx(), firstBack.dhx(), RNN_ABS, RNN_REL);
            if (lstm) assertClose("dcx", whole.dcx(), firstBack.dcx(), RNN_ABS, RNN_REL);
            assertClose("dParams", whole.dParams(), firstBack.dParams(), RNN_ABS, RNN_REL);
        }
    }

    /** Steps [t0, t1) of a (B, T, W) sequence. */
    private static float[] slice(float[] seq, int batch, int T, int W, int t0, int t1) {
        float[] out = new float[batch * (t1 - t0) * W];
        for (int b = 0; b < batch; b++) System.arraycopy(seq, (b * T + t0) * W, out, b * (t1 - t0) * W, (t1 - t0) * W);
        return out;
    }

    /** (B, T1, W) then (B, T2, W) along time. */
    private static float[] join(float[] a, float[] b, int batch, int T1, int T2, int W) {
        float[] out = new float[batch * (T1 + T2) * W];
        for (int r = 0; r < batch; r++) {
            System.arraycopy(a, r * T1 * W, out, r * (T1 + T2) * W, T1 * W);
            System.arraycopy(b, r * T2 * W, out, (r * (T1 + T2) + T1) * W, T2 * W);
        }
        return out;
    }

    @Test
    void stateArgumentsAreChecked() {
        RnnSpec gru = new RnnSpec(RnnSpec.Cell.GRU, 3, 4, Activation.TANH), lstm = new RnnSpec(RnnSpec.Cell.LSTM, 3, 4, Activation.TANH);
        int B = 2, T = 3;
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor x = vb.allocate(B * T * 3), y = vb.allocate(B * T * 4), s = vb.allocate(B * 4), small = vb.allocate(B * 4 - 1);
            Tensor rg = vb.allocate(B * gru.reservePerSample(T)), pg = vb.allocate(gru.paramCount());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vb.rnnForward(gru, B, T, x, null, s, pg, y, null, null, rg));
            assertTrue(e.getMessage().contains("GRU has no cell state") && e.getMessage().contains("cx"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vb.rnnForward(gru, B, T, x, null, null, pg, y, null, s, rg));
            assertTrue(e.getMessage().contains("GRU has no cell state") && e.getMessage().contains("cy"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vb.rnnBackward(gru, B, T, x, null, null, pg, y, rg,
                    vb.allocate(B * T * 4), null, s, null, null, null, vb.allocate(gru.paramCount())));
            assertTrue(e.getMessage().contains("GRU has no cell state") && e.getMessage().contains("dcy"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vb.rnnBackward(gru, B, T, x, null, null, pg, y, rg,
                    vb.allocate(B * T * 4), null, null, null, null, s, vb.allocate(gru.paramCount())));
            assertTrue(e.getMessage().contains("dcx"), e.getMessage());
            Tensor rl = vb.allocate(B * lstm.reservePerSample(T)), pl = vb.allocate(lstm.paramCount());
            e = assertThrows(IllegalArgumentException.class, () -> vb.rnnForward(lstm, B, T, x, small, null, pl, y, null, null, rl));
            assertTrue(e.getMessage().contains("hx (B, H)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vb.rnnBackward(lstm, B, T, x, null, null, pl, y, rl,
                    vb.allocate(B * T * 4), null, null, null, small, null, vb.allocate(lstm.paramCount())));
            assertTrue(e.getMessage().contains("dhx (B, H)"), e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"LSTM, TANH", "GRU, TANH", "LSTM, RELU", "GRU, RELU"})
    void rnnIsDeterministic(RnnSpec.Cell cell, Activation act) {
        RnnSpec spec = new RnnSpec(cell, 28, 32, act);
        int batch = 37, steps = 6;
        SplittableRandom rnd = rng("determinism" + cell + act);
        float[] x = uniform(rnd, batch * steps * 28, 1), p = uniform(rnd, spec.paramCount(), 0.5);
        float[] dy = uniform(rnd, batch * steps * 32, 1), dp0 = uniform(rnd, spec.paramCount(), 1);
        RnnResult first;
        try (VectorBackend vb = new VectorBackend(2)) {
            first = runRnn(vb, spec, batch, steps, x, p, dy, dp0, true);
            RnnResult again = runRnn(vb, spec, batch, steps, x, p, dy, dp0, true);
            assertArrayEquals(first.y(), again.y(), "y, same backend");
            assertArrayEquals(first.dx(), again.dx(), "dx, same backend");
            assertArrayEquals(first.dParams(), again.dParams(), "dParams, same backend");
        }
        try (VectorBackend vb = new VectorBackend(2)) {
            RnnResult fresh = runRnn(vb, spec, batch, steps, x, p, dy, dp0, true);
            assertArrayEquals(first.y(), fresh.y(), "y, fresh backend");
            assertArrayEquals(first.dx(), fresh.dx(), "dx, fresh backend");
            assertArrayEquals(first.dParams(), fresh.dParams(), "dParams, fresh backend");
        }
        // only the order of the per-chunk weight-gradient sums depends on the thread count
        for (int threads : new int[] {1, 3}) {
            try (VectorBackend vb = new VectorBackend(threads)) {
                RnnResult other = runRnn(vb, spec, batch, steps, x, p, dy, dp0, true);
                assertArrayEquals(first.y(), other.y(), "y, " + threads + " threads");
                assertArrayEquals(first.dx(), other.dx(), "dx, " + threads + " threads");
                assertClose("dParams, " + threads + " threads", first.dParams(), other.dParams(), RNN_ABS, RNN_REL);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"LSTM", "GRU"})
    void scalarFallbackGivesTheSameBits(RnnSpec.Cell cell) {
        RnnSpec spec = new RnnSpec(cell, 28, 32, Activation.TANH);
        int batch = 13, steps = 5;
        SplittableRandom rnd = rng("scalar" + cell);
        float[] x = uniform(rnd, batch * steps * 28, 1), p = uniform(rnd, spec.paramCount(), 0.5);
        float[] dy = uniform(rnd, batch * steps * 32, 1), dp0 = uniform(rnd, spec.paramCount(), 1);
        try (VectorBackend vec = new VectorBackend(2, true); VectorBackend sc = new VectorBackend(2, false)) {
            assertTrue(vec.vectorized() && !sc.vectorized());
            RnnResult a = runRnn(vec, spec, batch, steps, x, p, dy, dp0, true);
            RnnResult b = runRnn(sc, spec, batch, steps, x, p, dy, dp0, true);
            assertArrayEquals(a.y(), b.y(), "y");
            assertArrayEquals(a.dx(), b.dx(), "dx");
            assertArrayEquals(a.dParams(), b.dParams(), "dParams");
            RnnResult want = runRnn(ref, spec, batch, steps, x, p, dy, dp0, true);
            assertClose("scalar y", want.y(), b.y(), RNN_ABS, RNN_REL);
            assertClose("scalar dParams", want.dParams(), b.dParams(), RNN_ABS, RNN_REL);
        }
    }

    /**
     * A backward pass without dy (null) is one with a dy of zeros, bit for bit, in every form
     * (lengths, both directions, a stack) on both backends; and a unidirectional layer's final
     * state gradient dLast.h gives the bits of a dy that holds the same gradient at each
     * sequence's last valid step and 0 elsewhere: what Network passes for a layer that returns
     * only its last step.
     */
    @ParameterizedTest(name = "{0} layers={1} bidirectional={2} lengths={3} threads={4}")
    @CsvSource({"LSTM, 1, false, false, 1", "GRU, 1, false, false, 2", "LSTM, 1, false, true, 2", "GRU, 1, false, true, 1",
                "LSTM, 1, true, true, 2", "GRU, 1, true, false, 2", "LSTM, 2, false, false, 2", "GRU, 2, true, true, 1"})
    void aNullDyIsZeros(RnnSpec.Cell cell, int layers, boolean bidirectional, boolean withLengths, int threads) {
        int batch = 13, steps = 6, F = 7, H = 32;
        RnnSpec spec = new RnnSpec(cell, F, H, Activation.TANH, layers, bidirectional);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        int D = spec.directions(), S = spec.stateLayers() * batch * H;
        SplittableRandom rnd = rng("nullDy" + cell + layers + bidirectional + withLengths + threads);
        int[] lengths = null;
        if (withLengths) {
            lengths = new int[batch];
            for (int b = 0; b < batch; b++) lengths[b] = 1 + rnd.nextInt(steps);
        }
        float[] x = uniform(rnd, batch * steps * F, 1), p = uniform(rnd, spec.paramCount(), Math.sqrt(3.0 / (F + H)));
        float[] dhy = uniform(rnd, S, 1), dcy = lstm ? uniform(rnd, S, 1) : null;
        String[] names = {"dx", "dhx", "dcx", "dParams"};
        float[][] want = backwardFrom(ref, spec, batch, steps, lengths, x, p, null, dhy, dcy);
        for (Backend be : new Backend[] {ref, new VectorBackend(threads)}) {
            try (be) {
                float[][] zero = backwardFrom(be, spec, batch, steps, lengths, x, p, new float[batch * steps * D * H], dhy, dcy);
                float[][] none = backwardFrom(be, spec, batch, steps, lengths, x, p, null, dhy, dcy);
                for (int i = 0; i < names.length; i++) assertArrayEquals(zero[i], none[i], be.name() + " " + names[i]);
                for (int i = 0; i < names.length; i++) assertClose(be.name() + " " + names[i], want[i], none[i], RNN_ABS, RNN_REL);
                if (layers == 1 && !bidirectional) {                    // dLast.h as dy at the last valid steps
                    float[] dy = new float[batch * steps * H];
                    for (int b = 0; b < batch; b++) {
                        int last = (lengths == null ? steps : lengths[b]) - 1;
                        System.arraycopy(dhy, b * H, dy, (b * steps + last) * H, H);
                    }
                    float[][] asDy = backwardFrom(be, spec, batch, steps, lengths, x, p, dy, new float[S], dcy);
                    for (int i = 0; i < names.length; i++) assertArrayEquals(asDy[i], none[i], be.name() + " dLast.h as dy: " + names[i]);
                }
            }
        }
    }

    /** Forward, then backward from dy (or null), dhy and dcy: {dx, dhx, dcx (empty for GRU), dParams}. */
    private static float[][] backwardFrom(Backend be, RnnSpec spec, int batch, int steps, int[] lengths, float[] x,
                                          float[] p, float[] dy, float[] dhy, float[] dcy) {
        int H = spec.units(), F = spec.inputSize(), S = spec.stateLayers() * batch * H;
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        Tensor tx = put(be, x), tp = put(be, p), ty = nans(be, batch * steps * spec.outputSize());
        try (RnnTrace trace = be.rnnForward(spec, batch, steps, lengths, tx, RnnState.NONE, tp, ty, RnnState.NONE)) {
            Tensor dx = nans(be, batch * steps * F), dhx = nans(be, S), dcx = lstm ? nans(be, S) : null;
            Tensor dp = be.allocate(spec.paramCount());
            be.rnnBackward(trace, dy == null ? null : put(be, dy), RnnState.of(put(be, dhy), dcy == null ? null : put(be, dcy)),
                    dx, RnnState.of(dhx, dcx), dp);
            return new float[][] {get(be, dx), get(be, dhx), lstm ? get(be, dcx) : new float[0], get(be, dp)};
        }
    }

    @Test
    void lastStepAndItsBackwardMatchReference() {
        int batch = 6, steps = 4, width = 19;
        SplittableRandom rnd = rng("lastStep");
        float[] seq = uniform(rnd, batch * steps * width, 1), dOut = uniform(rnd, batch * width, 1);
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor ro = ref.allocate(batch * width), vo = vb.allocate(batch * width);
            ref.lastStep(batch, steps, width, put(ref, seq), ro);
            vb.lastStep(batch, steps, width, putOffset(vb, seq, 2), vo);
            assertArrayEquals(get(ref, ro), get(vb, vo));
            Tensor rs = put(ref, seq), vs = putOffset(vb, seq, 1);     // old contents must be cleared
            ref.lastStepBackward(batch, steps, width, put(ref, dOut), rs);
            vb.lastStepBackward(batch, steps, width, put(vb, dOut), vs);
            assertArrayEquals(get(ref, rs), get(vb, vs));
        }
    }

    @Test
    void constantHoldsTheValuesAndTheVectorBackendSharesTheArray() {
        float[] v = {1f, -2f, 3.5f};
        try (VectorBackend vb = new VectorBackend(1)) {
            Tensor shared = vb.constant(v), copied = ref.constant(v);
            assertArrayEquals(v, get(vb, shared));
            assertArrayEquals(v, get(ref, copied));
            v[0] = 9f;   // the Vector API backend reads the caller's array itself; the reference copied it
            assertEquals(9f, get(vb, shared)[0]);
            assertEquals(1f, get(ref, copied)[0]);
        }
    }

    @Test
    void gatherRowsMatchesReferenceAndRejectsIndicesThatAreNotRows() {
        int n = 11, width = 7, rows = 9;
        SplittableRandom rnd = rng("gather");
        float[] src = uniform(rnd, n * width, 1), index = new float[rows];
        for (int i = 0; i < rows; i++) index[i] = rnd.nextInt(n);
        index[0] = n - 1;
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor ro = ref.allocate(rows * width), vo = vb.allocate(rows * width);
            ref.gatherRows(rows, width, put(ref, src), put(ref, index), ro);
            vb.gatherRows(rows, width, putOffset(vb, src, 3), putOffset(vb, index, 1), vo);
            assertArrayEquals(get(ref, ro), get(vb, vo));
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < width; j++) assertEquals(src[(int) index[i] * width + j], get(vb, vo)[i * width + j]);
            }
            for (float bad : new float[] {-1, n, 2.5f, Float.NaN}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> vb.gatherRows(1, width, put(vb, src), put(vb, new float[] {bad}), vo));
                assertTrue(e.getMessage().contains("expected a row in [0, " + n + ")"), e.getMessage());
                assertThrows(IllegalArgumentException.class,
                        () -> ref.gatherRows(1, width, put(ref, src), put(ref, new float[] {bad}), ro));
            }
        }
    }

    /**
     * Batch-sized copies (2^16 floats and more) are split over the pool's threads: every thread
     * count must give the plain copy, at odd offsets, and a bad index must stop a gather before any
     * row moves.
     */
    @ParameterizedTest
    @CsvSource({"1", "2", "3", "7"})
    void largeWritesAndGathersSplitOverThreadsMatchAPlainCopy(int threads) {
        int n = 400, width = 251, rows = 300;                  // 75,300 floats gathered, 100,400 written
        SplittableRandom rnd = rng("bigCopy" + threads);
        float[] src = uniform(rnd, n * width, 1), index = new float[rows];
        for (int i = 0; i < rows; i++) index[i] = rnd.nextInt(n);
        float[] host = new float[n * width + 9];
        System.arraycopy(src, 0, host, 9, src.length);
        try (VectorBackend vb = new VectorBackend(threads)) {
            Tensor whole = vb.allocate(n * width + 4), dst = whole.slice(3, n * width);
            vb.write(host, 9, dst, n * width);
            assertArrayEquals(src, get(vb, dst));
            assertThrows(IndexOutOfBoundsException.class, () -> vb.write(host, 10, dst, n * width));
            Tensor out = vb.allocate(rows * width + 2).slice(1, rows * width);
            vb.gatherRows(rows, width, dst, putOffset(vb, index, 1), out);
            float[] got = get(vb, out);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < width; j++) assertEquals(src[(int) index[i] * width + j], got[i * width + j]);
            }
            float[] bad = index.clone();
            bad[rows - 1] = n;                                  // the last row's index is out of range
            Tensor fresh = vb.allocate(rows * width);
            vb.fill(fresh, -7f);
            assertThrows(IllegalArgumentException.class, () -> vb.gatherRows(rows, width, dst, put(vb, bad), fresh));
            for (float f : get(vb, fresh)) assertEquals(-7f, f, "no row may move before every index is checked");
        }
    }

    @Test
    void scatterRowsWritesOnlyTheIndexedRowsAndUndoesGatherRows() {
        int n = 11, width = 5, rows = 4;
        float[] src = uniform(rng("scatter"), rows * width, 1), index = {3, 10, 0, 7};
        float[] base = uniform(rng("scatterBase"), n * width, 1);
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor ro = put(ref, base), vo = putOffset(vb, base, 2);
            ref.scatterRows(rows, width, put(ref, src), put(ref, index), ro);
            vb.scatterRows(rows, width, putOffset(vb, src, 1), put(vb, index), vo);
            float[] got = get(vb, vo);
            assertArrayEquals(get(ref, ro), got);
            float[] want = base.clone();
            for (int i = 0; i < rows; i++) System.arraycopy(src, i * width, want, (int) index[i] * width, width);
            assertArrayEquals(want, got, "indexed rows written, the others kept");
            Tensor back = vb.allocate(rows * width);
            vb.gatherRows(rows, width, vo, put(vb, index), back);
            assertArrayEquals(src, get(vb, back), "gatherRows reads back what scatterRows wrote");
            for (float bad : new float[] {-1, n, 2.5f, Float.NaN}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> vb.scatterRows(1, width, put(vb, src), put(vb, new float[] {bad}), vo));
                assertTrue(e.getMessage().contains("scatterRows index[0]: expected a row in [0, " + n + ")"), e.getMessage());
                assertThrows(IllegalArgumentException.class,
                        () -> ref.scatterRows(1, width, put(ref, src), put(ref, new float[] {bad}), ro));
            }
        }
    }

    // ---- regularisation, loss, optimiser -----------------------------------------------------

    @ParameterizedTest(name = "n={0} rate={1}")
    @CsvSource({"1, 0.5", "4, 0.3", "1001, 0.2", "1001, 0.0", "20003, 0.5", "16384, 0.25"})
    void dropoutMasksAreBitIdentical(int n, float rate) {
        SplittableRandom rnd = rng("dropout" + n + rate);
        float[] in = uniform(rnd, n, 3);
        long seed = 0x0123456789ABCDEFL, step = (1L << 33) + 5;
        int salt = 7;
        Tensor ro = ref.allocate(n);
        ref.dropout(seed, step, salt, rate, n, put(ref, in), ro);
        float[] want = get(ref, ro);
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor vo = vb.allocate(n);
            vb.dropout(seed, step, salt, rate, n, putOffset(vb, in, 3), vo);
            assertArrayEquals(want, get(vb, vo), "out-of-place");
            Tensor inPlace = putOffset(vb, in, 1);
            vb.dropout(seed, step, salt, rate, n, inPlace, inPlace);
            assertArrayEquals(want, get(vb, inPlace), "in place");
            int zeros = 0;
            for (float v : want) if (v == 0f) zeros++;
            if (n > 1000) assertEquals(rate, zeros / (double) n, 0.05, "fraction dropped");
        }
    }

    @Test
    void philoxLanesMatchTheScalarGenerator() {
        SplittableRandom rnd = rng("philoxLanes");
        long[] words = new long[4 * PhiloxLanes.LANES];
        int[] want = new int[4];
        for (int trial = 0; trial < 50; trial++) {
            int q0 = trial == 0 ? -3 : rnd.nextInt();           // includes a counter that wraps past 2^32
            int c1 = rnd.nextInt(), c2 = rnd.nextInt(), c3 = rnd.nextInt(), k0 = rnd.nextInt(), k1 = rnd.nextInt();
            PhiloxLanes.blocks(q0, c1, c2, c3, k0, k1, words);
            for (int b = 0; b < PhiloxLanes.LANES; b++) {
                Philox.block(q0 + b, c1, c2, c3, k0, k1, want);
                for (int l = 0; l < 4; l++) {
                    assertEquals(want[l], (int) words[l * PhiloxLanes.LANES + b], "block " + (q0 + b) + " word " + l);
                    assertEquals(0, words[l * PhiloxLanes.LANES + b] >>> 32, "words are zero-extended");
                }
            }
        }
    }

    @Test
    void softmaxCrossEntropyMatchesReferenceAndAccumulatesStats() {
        int batch = 37, classes = 10;
        SplittableRandom rnd = rng("softmaxCE");
        float[] logits = uniform(rnd, batch * classes, 5);
        float[] labels = new float[batch];
        for (int b = 0; b < batch; b++) labels[b] = rnd.nextInt(classes);
        float[] stats0 = {1.5f, 2f};
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor rd = ref.allocate(batch * classes), rs = put(ref, stats0);
            ref.softmaxCrossEntropy(batch, classes, put(ref, logits), put(ref, labels), 1f / batch, rd, rs);
            Tensor vd = vb.allocate(batch * classes), vs = put(vb, stats0);
            vb.softmaxCrossEntropy(batch, classes, putOffset(vb, logits, 2), put(vb, labels), 1f / batch, vd, vs);
            assertClose("dLogits", get(ref, rd), get(vb, vd), EW_ABS, EW_REL);
            assertClose("stats", get(ref, rs), get(vb, vs), EW_ABS, EW_REL);
            vb.softmaxCrossEntropy(batch, classes, putOffset(vb, logits, 2), put(vb, labels), 1f, null, vs);
            float[] twice = get(vb, vs), once = get(ref, rs);
            assertEquals(2 * once[0] - stats0[0], twice[0], 1e-4, "loss accumulates");
            assertEquals(2 * once[1] - stats0[1], twice[1], 0, "correct count accumulates");
            labels[3] = classes;
            assertThrows(IllegalArgumentException.class, () -> vb.softmaxCrossEntropy(
                    batch, classes, put(vb, logits), put(vb, labels), 1f, null, vb.allocate(2)));
        }
    }

    @Test
    void softmaxMatchesReference() {
        int rows = 7, cols = 13;
        float[] logits = uniform(rng("softmax"), rows * cols, 20);
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor rp = ref.allocate(rows * cols), vp = vb.allocate(rows * cols);
            ref.softmax(rows, cols, put(ref, logits), rp);
            vb.softmax(rows, cols, put(vb, logits), vp);
            assertClose("probs", get(ref, rp), get(vb, vp), EW_ABS, EW_REL);
        }
    }

    @Test
    void adamMatchesReferenceOverSeveralSteps() {
        int n = 1031;
        SplittableRandom rnd = rng("adam");
        float[] p = uniform(rnd, n, 1);
        try (VectorBackend vb = new VectorBackend(2)) {
            Tensor rp = put(ref, p), rm = ref.allocate(n), rv = ref.allocate(n);
            Tensor vp = putOffset(vb, p, 3), vm = vb.allocate(n), vv = vb.allocate(n);
            for (int t = 1; t <= 4; t++) {
                float[] g = uniform(rnd, n, t);
                ref.adam(n, rp, put(ref, g), rm, rv, 1e-3f, 0.9f, 0.999f, 1e-7f, t);
                vb.adam(n, vp, put(vb, g), vm, vv, 1e-3f, 0.9f, 0.999f, 1e-7f, t);
            }
            assertClose("params", get(ref, rp), get(vb, vp), EW_ABS, EW_REL);
            assertClose("m", get(ref, rm), get(vb, vm), EW_ABS, EW_REL);
            assertClose("v", get(ref, rv), get(vb, vv), EW_ABS, EW_REL);
        }
    }

    // ---- memory and errors -------------------------------------------------------------------

    @Test
    void memoryOpsAndErrors() {
        try (VectorBackend vb = new VectorBackend(1)) {
            assertEquals("cpu", vb.name());
            assertTrue(vb.description().contains("1 thread"), vb.description());
            Tensor t = vb.allocate(10);
            vb.fill(t.slice(2, 5), 3f);
            vb.write(new float[] {9, 8, 7}, 1, t.slice(6, 3), 2);
            float[] out = new float[12];
            vb.read(t, out, 1, 10);
            assertArrayEquals(new float[] {0, 0, 0, 3, 3, 3, 3, 8, 7, 0, 0, 0}, out);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vb.gemm(false, false, 4, 4, 4, 1f, vb.allocate(15), vb.allocate(16), 0f, vb.allocate(16)));
            assertTrue(e.getMessage().contains("16") && e.getMessage().contains("15"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> vb.fill(ref.allocate(3), 1f));
        }
        VectorBackend closed = new VectorBackend(2);
        closed.close();
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.GRU, 2, 3, Activation.TANH);
        assertThrows(IllegalStateException.class, () -> closed.rnnForward(spec, 4, 2, closed.allocate(16),
                closed.allocate(spec.paramCount()), closed.allocate(24), closed.allocate(4 * spec.reservePerSample(2))));
    }
}
