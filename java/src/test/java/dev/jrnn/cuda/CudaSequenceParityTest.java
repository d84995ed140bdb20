package dev.jrnn.cuda;

import static dev.jrnn.cuda.GpuSupport.assertClose;
import static dev.jrnn.cuda.GpuSupport.get;
import static dev.jrnn.cuda.GpuSupport.put;
import static dev.jrnn.cuda.GpuSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import dev.jrnn.cpu.ReferenceBackend;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real sequences on the GPU (issue 16): per-sample lengths and bidirectional layers through
 * {@link CudaBackend}, on cuDNN ({@code -Djrnn.cuda.rnnImpl=cudnn}) and on jrnn's own kernels
 * ({@code jrnn}), against an oracle built only from what every backend has always run: the
 * {@link ReferenceBackend}'s one-layer, one-direction, full-length pass. Each sequence runs alone
 * (batch 1) over its valid steps {@code [0, len)}; a reverse direction runs on the time-reversed
 * valid steps and its outputs are reversed back; a layer's input is the one below's outputs (both
 * directions concatenated); the oracle's y and dx are 0 past each length; final states are each
 * run's; parameter gradients are the sum of the per-sequence runs' (as PyTorch's
 * {@code pack_padded_sequence} defines them). LSTM and GRU, tanh (both paths) and relu (jrnn's
 * kernels), 1 and 2 layers, uni- and bidirectional, lengths including 1 and T, from random initial
 * states and with gradients for the final states; every output poisoned with NaN first, so padding
 * must be written as 0.
 *
 * <p>Tolerances ({@code abs + rel * |expected|}) as FusedRnnParityTest's: y, states and dx 1e-5 +
 * 1e-4; dParams 5e-5 + 5e-4, twice that for two layers.
 */
@Tag("gpu")
class CudaSequenceParityTest {
    private static final int F = 5, H = 8, T = 6;
    private static final int[] LENGTHS = {6, 1, 3, 6, 4};
    private static CudaBackend cudnn, jrnn;
    private final ReferenceBackend ref = new ReferenceBackend();

    @BeforeAll
    static void open() {
        GpuSupport.requireDevice();
        cudnn = GpuSupport.backendWith("jrnn.cuda.rnnImpl", "cudnn");
        jrnn = GpuSupport.backendWith("jrnn.cuda.rnnImpl", "jrnn");
    }

    @AfterAll
    static void close() {
        if (cudnn != null) cudnn.close();
        if (jrnn != null) jrnn.close();
    }

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String impl : new String[] {"cudnn", "jrnn"}) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                for (Activation act : new Activation[] {Activation.TANH, Activation.RELU}) {
                    if (act == Activation.RELU && impl.equals("cudnn")) continue;   // cuDNN fuses tanh cells only
                    for (int layers : new int[] {1, 2}) {
                        for (boolean bi : new boolean[] {false, true}) b.add(Arguments.of(impl, cell, act, layers, bi));
                    }
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}: {3} x {1} {2} bidirectional={4}")
    @MethodSource("cases")
    void lengthsAndDirectionsMatchTheOracle(String impl, RnnSpec.Cell cell, Activation act, int layers, boolean bi) {
        CudaBackend be = impl.equals("cudnn") ? cudnn : jrnn;
        RnnSpec spec = new RnnSpec(cell, F, H, act, layers, bi);
        check(be, spec, LENGTHS, impl.equals("cudnn"));
        if (bi) check(be, spec, null, impl.equals("cudnn"));   // full length: the bidirectional path alone
    }

    /**
     * Two training passes of one shape with different lengths before either backward pass (one
     * cuDNN plan, whose lengths change under the first trace), then both backward passes, and an
     * inference pass: each as the oracle says.
     */
    @Test
    void passesWithOtherLengthsInterleave() {
        for (CudaBackend be : new CudaBackend[] {cudnn, jrnn}) {
            RnnSpec spec = new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH, 1, true);
            int[] a = {6, 2, 5, 1, 3}, b = {1, 6, 6, 4, 2};
            Run ra = new Run(spec, a, 11), rb = new Run(spec, b, 12);
            Oracle oa = oracle(spec, a, ra), ob = oracle(spec, b, rb);
            Gpu ga = new Gpu(be, spec, ra), gb = new Gpu(be, spec, rb);
            try (RnnTrace ta = ga.forward(); RnnTrace tb = gb.forward()) {
                ga.backward(ta);
                gb.backward(tb);
            }
            ga.compare(oa, "interleaved A on " + be.description());
            gb.compare(ob, "interleaved B on " + be.description());
            // inference with a third set of lengths, then the first again
            for (int[] lengths : new int[][] {{3, 3, 1, 6, 5}, a}) {
                Run ri = new Run(spec, lengths, 13);
                Oracle oi = oracle(spec, lengths, ri);
                Tensor y = nans(be, ri.B * T * spec.outputSize());
                Tensor hy = nans(be, ri.S), cy = nans(be, ri.S);
                be.rnnInfer(spec, ri.B, T, lengths, put(be, ri.x), RnnState.of(put(be, ri.hx), put(be, ri.cx)), put(be, ri.params),
                        y, RnnState.of(hy, cy));
                String what = "inference " + Arrays.toString(lengths);
                assertClose(oi.y, get(be, y), 1e-5, 1e-4, what + ": y");
                assertClose(oi.hy, get(be, hy), 1e-5, 1e-4, what + ": hy");
                assertClose(oi.cy, get(be, cy), 1e-5, 1e-4, what + ": cy");
            }
        }
    }

    /**
     * On the fake device, with cuDNN's weight space shuffled and padded (so every direction's weights
     * are copied to and from its pseudo-layer's pieces) and with the copy path forced for GRU too.
     */
    @Test
    void aShuffledCudnnWeightLayoutIsMappedPerPseudoLayer() {
        GpuSupport.requireFakeDevice("the shuffled weight layout");
        GpuSupport.fakeShuffledCudnnLayout(true);
        try (CudaBackend shuffled = GpuSupport.backendWith("jrnn.cuda.rnnImpl", "cudnn", "jrnn.cuda.weights", "copy")) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                for (int layers : new int[] {1, 2}) check(shuffled, new RnnSpec(cell, F, H, Activation.TANH, layers, true), LENGTHS, true);
            }
        } finally {
            GpuSupport.fakeShuffledCudnnLayout(false);
        }
    }

    /** The forced persistent algorithms run lengths and both directions too (the fake's SMALL_H only full length). */
    @Test
    void persistentAlgorithms() {
        try (CudaBackend ps = GpuSupport.backendWith("jrnn.cuda.rnnImpl", "cudnn", "jrnn.cuda.rnnAlgo", "persist-static");
             CudaBackend small = GpuSupport.backendWith("jrnn.cuda.rnnImpl", "cudnn")) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                RnnSpec spec = new RnnSpec(cell, F, H, Activation.TANH, 2, true);
                check(ps, spec, LENGTHS, true);
                check(small, spec, null, true);   // auto: SMALL_H where the device allows it, full length
                check(small, spec, LENGTHS, true);   // auto: the standard algorithm for variable lengths
            }
        }
    }

    /**
     * Under {@code auto}, a cuDNN refusal of a bidirectional stack with lengths (a forced persistent
     * algorithm the fake refuses in forward, or in backward data, after which jrnn's kernels run
     * the forward pass again with the trace's lengths) still gives the oracle's numbers.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {2, 3})
    void cudnnRefusalsFallBackToJrnnsKernelsWithTheLengths(int where) {
        if (!GpuSupport.fakeRefusePersistent(where)) {
            System.out.println("SKIPPED: a refusal by cuDNN is made on the fake device only");
            org.junit.jupiter.api.Assumptions.abort("a refusal by cuDNN is made on the fake device only");
        }
        try (CudaBackend be = GpuSupport.backendWith("jrnn.cuda.rnnAlgo", "persist-static")) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                RnnSpec spec = new RnnSpec(cell, F, H, Activation.TANH, 2, true);
                check(be, spec, LENGTHS, where == 3);   // refused in backward: the trace is cuDNN's
                assertTrue(be.cudnnRefused().contains(spec), be.description());
            }
        } finally {
            GpuSupport.fakeRefusePersistent(0);
        }
    }

    private void check(CudaBackend be, RnnSpec spec, int[] lengths, boolean cudnnTrace) {
        Run run = new Run(spec, lengths, 1000L * spec.layers() + 10L * spec.cell().ordinal() + spec.activation().ordinal()
                + (spec.bidirectional() ? 500 : 0));
        Oracle o = oracle(spec, lengths, run);
        Gpu g = new Gpu(be, spec, run);
        try (RnnTrace trace = g.forward()) {
            assertEquals(cudnnTrace, trace instanceof RnnEngine.Trace, spec + ": whose trace (cuDNN or jrnn's kernels)");
            g.backward(trace);
        }
        g.compare(o, spec + " lengths " + Arrays.toString(lengths));
    }

    /** One case's random inputs. */
    private static final class Run {
        final int B = LENGTHS.length, S, P;
        final float[] x, params, dy, hx, cx, dhy, dcy, dParams0;
        final boolean lstm;
        final int[] lengths;

        Run(RnnSpec spec, int[] lengths, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            this.lengths = lengths;
            lstm = spec.cell() == RnnSpec.Cell.LSTM;
            S = spec.stateLayers() * B * H;
            P = spec.paramCount();
            x = uniform(r, B * T * F, 1);
            params = uniform(r, P, 0.4);
            dy = uniform(r, B * T * spec.outputSize(), 1);
            hx = uniform(r, S, 1);
            cx = uniform(r, S, 1);
            dhy = uniform(r, S, 1);
            dcy = uniform(r, S, 1);
            dParams0 = uniform(r, P, 0.1);
            // NB: padding is never read: NaN there must not reach any output or gradient
            int O = spec.outputSize();
            for (int b = 0; b < B; b++) {
                for (int t = length(b); t < T; t++) {
                    Arrays.fill(x, (b * T + t) * F, (b * T + t + 1) * F, Float.NaN);
                    Arrays.fill(dy, (b * T + t) * O, (b * T + t + 1) * O, Float.NaN);
                }
            }
        }

        int length(int b) {
            return lengths == null ? T : lengths[b];
        }
    }

    /** What the oracle says (doubles): y, final states, dx, initial-state gradients, dParams (onto dParams0). */
    private record Oracle(double[] y, double[] hy, double[] cy, double[] dx, double[] dhx, double[] dcx, double[] dParams) {}

    /** The GPU side of one case: tensors poisoned with NaN, the passes, the comparison. */
    private final class Gpu {
        final CudaBackend be;
        final RnnSpec spec;
        final Run run;
        final Tensor y, hy, cy, dx, dhx, dcx, dP;

        Gpu(CudaBackend be, RnnSpec spec, Run run) {
            this.be = be;
            this.spec = spec;
            this.run = run;
            y = nans(be, run.B * T * spec.outputSize());
            hy = nans(be, run.S);
            cy = run.lstm ? nans(be, run.S) : null;
            dx = nans(be, run.B * T * F);
            dhx = nans(be, run.S);
            dcx = run.lstm ? nans(be, run.S) : null;
            dP = put(be, run.dParams0);
        }

        RnnTrace forward() {
            return be.rnnForward(spec, run.B, T, run.lengths, put(be, run.x),
                    RnnState.of(put(be, run.hx), run.lstm ? put(be, run.cx) : null), put(be, run.params), y, RnnState.of(hy, cy));
        }

        void backward(RnnTrace trace) {
            be.rnnBackward(trace, put(be, run.dy), RnnState.of(put(be, run.dhy), run.lstm ? put(be, run.dcy) : null), dx,
                    RnnState.of(dhx, dcx), dP);
        }

        void compare(Oracle o, String what) {
            double dpAbs = spec.layers() > 1 ? 1e-4 : 5e-5, dpRel = spec.layers() > 1 ? 1e-3 : 5e-4;
            float[] yg = get(be, y), dxg = get(be, dx);
            assertClose(o.y, yg, 1e-5, 1e-4, what + ": y");
            assertClose(o.hy, get(be, hy), 1e-5, 1e-4, what + ": hy");
            if (run.lstm) assertClose(o.cy, get(be, cy), 1e-5, 1e-4, what + ": cy");
            assertClose(o.dx, dxg, 1e-5, 1e-4, what + ": dx");
            assertClose(o.dhx, get(be, dhx), 1e-5, 1e-4, what + ": dhx");
            if (run.lstm) assertClose(o.dcx, get(be, dcx), 1e-5, 1e-4, what + ": dcx");
            assertClose(o.dParams, get(be, dP), dpAbs, dpRel, what + ": dParams");
            for (int b = 0; b < run.B; b++) {   // padding exactly 0, not just close
                for (int t = run.length(b); t < T; t++) {
                    for (int k = 0; k < spec.outputSize(); k++) {
                        assertEquals(0f, yg[(b * T + t) * spec.outputSize() + k], what + ": y padding at b " + b + " t " + t);
                    }
                    for (int k = 0; k < F; k++) assertEquals(0f, dxg[(b * T + t) * F + k], what + ": dx padding at b " + b + " t " + t);
                }
            }
        }
    }

    private static Tensor nans(CudaBackend be, int n) {
        Tensor t = be.allocate(n);
        be.fill(t, Float.NaN);
        return t;
    }

    // ---- the oracle --------------------------------------------------------------------------

    /** Rows {@code [0, n)} of a (rows, width) array, time-reversed when {@code reverse}. */
    private static double[] rows(double[] a, int width, int n, boolean reverse) {
        double[] out = new double[n * width];
        for (int t = 0; t < n; t++) System.arraycopy(a, (reverse ? n - 1 - t : t) * width, out, t * width, width);
        return out;
    }

    private static double[] slice(float[] a, int from, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = a[from + i];
        return out;
    }

    private Oracle oracle(RnnSpec spec, int[] lengths, Run run) {
        int B = run.B, D = spec.directions(), L = spec.layers(), O = spec.outputSize();
        boolean lstm = run.lstm;
        double[] y = new double[B * T * O], hy = new double[run.S], cy = new double[run.S], dx = new double[B * T * F];
        double[] dhx = new double[run.S], dcx = new double[run.S], dParams = GpuSupport.toDouble(run.dParams0);
        for (int b = 0; b < B; b++) {
            int n = run.length(b);
            RnnTrace[][] traces = new RnnTrace[L][D];
            int[][] offsets = new int[L][D];
            RnnSpec[] uni = new RnnSpec[L];
            double[] in = slice(run.x, b * T * F, n * F);
            for (int l = 0; l < L; l++) {
                RnnSpec layer = spec.layer(l);
                uni[l] = layer.unidirectional();
                int width = layer.inputSize();
                double[] out = new double[n * O];
                for (int d = 0; d < D; d++) {
                    int p = l * D + d, at = spec.layerOffset(l) + layer.directionOffset(d);
                    offsets[l][d] = at;
                    Tensor X = ref.of(rows(in, width, n, d == 1));
                    Tensor Pm = ref.of(slice(run.params, at, uni[l].paramCount()));
                    Tensor h0 = ref.of(slice(run.hx, (p * B + b) * H, H)), c0 = lstm ? ref.of(slice(run.cx, (p * B + b) * H, H)) : null;
                    Tensor Y = ref.allocate(n * H), h1 = ref.allocate(H), c1 = lstm ? ref.allocate(H) : null;
                    traces[l][d] = ref.rnnForward(uni[l], 1, n, X, RnnState.of(h0, c0), Pm, Y, RnnState.of(h1, c1));
                    double[] yd = rows(ReferenceBackend.toArray(Y), H, n, d == 1);
                    for (int t = 0; t < n; t++) System.arraycopy(yd, t * H, out, t * O + d * H, H);
                    System.arraycopy(ReferenceBackend.toArray(h1), 0, hy, (p * B + b) * H, H);
                    if (lstm) System.arraycopy(ReferenceBackend.toArray(c1), 0, cy, (p * B + b) * H, H);
                }
                in = out;
            }
            for (int t = 0; t < n; t++) System.arraycopy(in, t * O, y, (b * T + t) * O, O);
            // backward, top layer first; dy past the length never enters
            double[] dOut = slice(run.dy, b * T * O, n * O);
            for (int l = L - 1; l >= 0; l--) {
                int width = spec.layer(l).inputSize();
                double[] dIn = new double[n * width];
                for (int d = 0; d < D; d++) {
                    int p = l * D + d;
                    double[] dyd = new double[n * H];
                    for (int t = 0; t < n; t++) System.arraycopy(dOut, t * O + d * H, dyd, t * H, H);
                    Tensor dY = ref.of(rows(dyd, H, n, d == 1));
                    Tensor dh1 = ref.of(slice(run.dhy, (p * B + b) * H, H)), dc1 = lstm ? ref.of(slice(run.dcy, (p * B + b) * H, H)) : null;
                    Tensor dX = ref.allocate(n * width), dh0 = ref.allocate(H), dc0 = lstm ? ref.allocate(H) : null;
                    Tensor dP = ref.allocate(uni[l].paramCount());
                    ref.rnnBackward(traces[l][d], dY, RnnState.of(dh1, dc1), dX, RnnState.of(dh0, dc0), dP);
                    traces[l][d].close();
                    double[] dxd = rows(ReferenceBackend.toArray(dX), width, n, d == 1);
                    for (int i = 0; i < dxd.length; i++) dIn[i] += dxd[i];
                    double[] g = ReferenceBackend.toArray(dP);
                    for (int i = 0; i < g.length; i++) dParams[offsets[l][d] + i] += g[i];
                    System.arraycopy(ReferenceBackend.toArray(dh0), 0, dhx, (p * B + b) * H, H);
                    if (lstm) System.arraycopy(ReferenceBackend.toArray(dc0), 0, dcx, (p * B + b) * H, H);
                }
                dOut = dIn;
            }
            System.arraycopy(dOut, 0, dx, b * T * F, n * F);
        }
        assertTrue(dParams.length == spec.paramCount());
        return new Oracle(y, hy, cy, dx, dhx, dcx, dParams);
    }
}
