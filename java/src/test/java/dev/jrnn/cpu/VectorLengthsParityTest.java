package dev.jrnn.cpu;

import static dev.jrnn.cpu.TestData.get;
import static dev.jrnn.cpu.TestData.put;
import static dev.jrnn.cpu.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link VectorBackend}'s packed path (per-sample lengths, bidirectional layers) against
 * {@link ReferenceBackend} on odd shapes, 1 to 3 threads, tanh and relu, one and two layers, from
 * random initial states with gradients for the final states; and the padding rules: outputs and
 * dx past each length exactly 0, a sample's results independent of its padding's contents (NaN
 * there changes nothing) and of the other samples' lengths.
 */
class VectorLengthsParityTest {
    private static final double ABS = 1e-5, REL = 1e-4;

    /** One forward and backward pass's results, as floats. */
    record Pass(float[] y, float[] hy, float[] cy, float[] dx, float[] dhx, float[] dcx, float[] dp) {}

    /** Inputs of a pass: x, params, initial states, and the gradients of y and of the final states. */
    record Inputs(float[] x, float[] p, float[] hx, float[] cx, float[] dy, float[] dhy, float[] dcy) {
        static Inputs random(SplittableRandom r, RnnSpec s, int B, int T) {
            boolean lstm = s.cell() == RnnSpec.Cell.LSTM;
            int S = s.stateLayers() * B * s.units();
            return new Inputs(uniform(r, B * T * s.inputSize(), 1), uniform(r, s.paramCount(), 0.5),
                    uniform(r, S, 1), lstm ? uniform(r, S, 1) : null, uniform(r, B * T * s.outputSize(), 1),
                    uniform(r, S, 1), lstm ? uniform(r, S, 1) : null);
        }
    }

    static Pass run(Backend be, RnnSpec s, int B, int T, int[] lengths, Inputs in) {
        boolean lstm = s.cell() == RnnSpec.Cell.LSTM;
        int S = s.stateLayers() * B * s.units();
        Tensor y = be.allocate(B * T * s.outputSize()), hy = be.allocate(S), cy = lstm ? be.allocate(S) : null;
        Tensor dx = be.allocate(B * T * s.inputSize()), dhx = be.allocate(S), dcx = lstm ? be.allocate(S) : null;
        Tensor dp = be.allocate(s.paramCount());
        be.fill(y, Float.NaN);
        be.fill(dx, Float.NaN);
        Tensor x = put(be, in.x());
        RnnState initial = RnnState.of(put(be, in.hx()), lstm ? put(be, in.cx()) : null);
        try (RnnTrace trace = be.rnnForward(s, B, T, lengths, x, initial, put(be, in.p()), y, RnnState.of(hy, cy))) {
            be.rnnBackward(trace, put(be, in.dy()), RnnState.of(put(be, in.dhy()), lstm ? put(be, in.dcy()) : null),
                    dx, RnnState.of(dhx, dcx), dp);
        }
        return new Pass(get(be, y), get(be, hy), lstm ? get(be, cy) : null, get(be, dx), get(be, dhx),
                lstm ? get(be, dcx) : null, get(be, dp));
    }

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (Activation act : new Activation[] {Activation.TANH, Activation.RELU}) {
                for (int layers : new int[] {1, 2}) {
                    for (boolean bi : new boolean[] {false, true}) {
                        for (int threads : new int[] {1, 2, 3}) b.add(Arguments.of(cell, act, layers, bi, threads));
                    }
                }
            }
        }
        return b.build();
    }

    /** Odd sizes (H not a multiple of the vector width, B not of the row block), lengths 1 to T. */
    @ParameterizedTest(name = "{0} {1} x{2} bidirectional={3} threads={4}")
    @MethodSource("cases")
    void matchesTheReference(RnnSpec.Cell cell, Activation act, int layers, boolean bi, int threads) {
        int B = 13, T = 9, F = 5, H = 11;
        RnnSpec s = new RnnSpec(cell, F, H, act, layers, bi);
        SplittableRandom r = new SplittableRandom(cell.ordinal() * 1000 + act.ordinal() * 100 + layers * 10 + (bi ? 1 : 0));
        int[] lengths = new int[B];
        for (int b = 0; b < B; b++) lengths[b] = 1 + r.nextInt(T);
        lengths[3] = T;
        lengths[5] = 1;
        Inputs in = Inputs.random(r, s, B, T);
        Pass want = run(new ReferenceBackend(), s, B, T, lengths, in);
        try (VectorBackend vb = new VectorBackend(threads)) {
            Pass got = run(vb, s, B, T, lengths, in);
            String c = s + " threads=" + threads + " ";
            VectorBackendParityTest.assertClose(c + "y", want.y(), got.y(), ABS, REL);
            VectorBackendParityTest.assertClose(c + "hy", want.hy(), got.hy(), ABS, REL);
            if (want.cy() != null) VectorBackendParityTest.assertClose(c + "cy", want.cy(), got.cy(), ABS, REL);
            VectorBackendParityTest.assertClose(c + "dx", want.dx(), got.dx(), ABS, REL);
            VectorBackendParityTest.assertClose(c + "dhx", want.dhx(), got.dhx(), ABS, REL);
            if (want.dcx() != null) VectorBackendParityTest.assertClose(c + "dcx", want.dcx(), got.dcx(), ABS, REL);
            VectorBackendParityTest.assertClose(c + "dparams", want.dp(), got.dp(), ABS, REL);
            assertPaddingIsZero(c, s, B, T, lengths, got);
            assertPaddingIsZero(c + "(reference) ", s, B, T, lengths, want);
            // a second run gives the same bits (fixed dealing and reduction order)
            Pass again = run(vb, s, B, T, lengths, in);
            assertArrayEquals(got.dp(), again.dp(), c + "dparams run to run");
        }
    }

    static void assertPaddingIsZero(String c, RnnSpec s, int B, int T, int[] lengths, Pass p) {
        int OH = s.outputSize(), F = s.inputSize();
        for (int b = 0; b < B; b++) {
            for (int t = lengths[b]; t < T; t++) {
                for (int j = 0; j < OH; j++) assertEquals(0f, p.y()[(b * T + t) * OH + j], c + "y[" + b + ", " + t + "] past the length");
                for (int k = 0; k < F; k++) assertEquals(0f, p.dx()[(b * T + t) * F + k], c + "dx[" + b + ", " + t + "] past the length");
            }
        }
    }

    /** NaN in the padding of x and of dy changes no bit of any result. */
    @ParameterizedTest(name = "{0} bidirectional={1}")
    @MethodSource("paddingCases")
    void paddingContentsDoNotMatter(RnnSpec.Cell cell, boolean bi) {
        int B = 10, T = 7, F = 6, H = 16;
        RnnSpec s = new RnnSpec(cell, F, H, Activation.TANH, 2, bi);
        SplittableRandom r = new SplittableRandom(77 + cell.ordinal() + (bi ? 10 : 0));
        int[] lengths = {7, 3, 1, 7, 5, 2, 6, 4, 1, 7};
        Inputs in = Inputs.random(r, s, B, T);
        Inputs nan = new Inputs(in.x().clone(), in.p(), in.hx(), in.cx(), in.dy().clone(), in.dhy(), in.dcy());
        for (int b = 0; b < B; b++) {
            Arrays.fill(nan.x(), (b * T + lengths[b]) * F, (b + 1) * T * F, Float.NaN);
            Arrays.fill(nan.dy(), (b * T + lengths[b]) * s.outputSize(), (b + 1) * T * s.outputSize(), Float.NaN);
        }
        for (Backend be : new Backend[] {new ReferenceBackend(), new VectorBackend(2)}) {
            try (be) {
                Pass clean = run(be, s, B, T, lengths, in), dirty = run(be, s, B, T, lengths, nan);
                String c = be.name() + " ";
                assertArrayEquals(clean.y(), dirty.y(), c + "y");
                assertArrayEquals(clean.hy(), dirty.hy(), c + "hy");
                assertArrayEquals(clean.cy(), dirty.cy(), c + "cy");
                assertArrayEquals(clean.dx(), dirty.dx(), c + "dx");
                assertArrayEquals(clean.dhx(), dirty.dhx(), c + "dhx");
                assertArrayEquals(clean.dcx(), dirty.dcx(), c + "dcx");
                assertArrayEquals(clean.dp(), dirty.dp(), c + "dparams");
            }
        }
    }

    static Stream<Arguments> paddingCases() {
        return Stream.of(Arguments.of(RnnSpec.Cell.LSTM, false), Arguments.of(RnnSpec.Cell.LSTM, true),
                Arguments.of(RnnSpec.Cell.GRU, false), Arguments.of(RnnSpec.Cell.GRU, true));
    }

    /**
     * Sample 0's outputs, final states and input and state gradients do not depend on the other
     * samples' lengths: exactly on the reference, to float rounding on the Vector backend (the
     * other lengths move the sample to another row of another task's GEMM blocks).
     */
    @ParameterizedTest(name = "{0} bidirectional={1}")
    @MethodSource("paddingCases")
    void aSampleIgnoresTheOtherSamplesLengths(RnnSpec.Cell cell, boolean bi) {
        int B = 9, T = 8, F = 4, H = 10;
        RnnSpec s = new RnnSpec(cell, F, H, Activation.RELU, 1, bi);
        SplittableRandom r = new SplittableRandom(5 + cell.ordinal() + (bi ? 10 : 0));
        Inputs in = Inputs.random(r, s, B, T);
        int[] a = {5, 8, 1, 3, 8, 2, 7, 6, 4}, b = {5, 1, 8, 8, 2, 3, 1, 8, 8};
        for (Backend be : new Backend[] {new ReferenceBackend(), new VectorBackend(2)}) {
            try (be) {
                Pass pa = run(be, s, B, T, a, in), pb = run(be, s, B, T, b, in);
                double abs = be instanceof ReferenceBackend ? 0 : 1e-6, rel = be instanceof ReferenceBackend ? 0 : 1e-5;
                String c = be.name() + " sample 0 ";
                int OH = s.outputSize();
                VectorBackendParityTest.assertClose(c + "y", Arrays.copyOf(pa.y(), T * OH), Arrays.copyOf(pb.y(), T * OH), abs, rel);
                VectorBackendParityTest.assertClose(c + "dx", Arrays.copyOf(pa.dx(), T * F), Arrays.copyOf(pb.dx(), T * F), abs, rel);
                for (int d = 0; d < s.directions(); d++) {
                    int o = d * B * H;
                    VectorBackendParityTest.assertClose(c + "hy", Arrays.copyOfRange(pa.hy(), o, o + H),
                            Arrays.copyOfRange(pb.hy(), o, o + H), abs, rel);
                    VectorBackendParityTest.assertClose(c + "dhx", Arrays.copyOfRange(pa.dhx(), o, o + H),
                            Arrays.copyOfRange(pb.dhx(), o, o + H), abs, rel);
                    if (pa.cy() != null) {
                        VectorBackendParityTest.assertClose(c + "cy", Arrays.copyOfRange(pa.cy(), o, o + H),
                                Arrays.copyOfRange(pb.cy(), o, o + H), abs, rel);
                        VectorBackendParityTest.assertClose(c + "dcx", Arrays.copyOfRange(pa.dcx(), o, o + H),
                                Arrays.copyOfRange(pb.dcx(), o, o + H), abs, rel);
                    }
                }
            }
        }
    }

    /**
     * A sequence of length n in a batch padded to T gives what the same sequence gives alone with
     * T = n (no padding at all), and lengths that are all T give bit for bit the fixed-length path.
     */
    @Test
    void paddingIsAsIfTheSequenceWereShorter() {
        int B = 4, T = 6, F = 3, H = 9;
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (boolean bi : new boolean[] {false, true}) {
                RnnSpec s = new RnnSpec(cell, F, H, Activation.TANH, 1, bi);
                SplittableRandom r = new SplittableRandom(3 + cell.ordinal() + (bi ? 10 : 0));
                Inputs in = Inputs.random(r, s, B, T);
                int[] lengths = {6, 2, 4, 1};
                try (VectorBackend vb = new VectorBackend(2)) {
                    Pass padded = run(vb, s, B, T, lengths, in);
                    assertArrayEquals(run(vb, s, B, T, null, in).dp(), run(vb, s, B, T, new int[] {6, 6, 6, 6}, in).dp(),
                            "all-T lengths are the fixed-length path");
                    int b = 2, n = lengths[b], OH = s.outputSize(), S = s.directions() * H;
                    boolean lstm = cell == RnnSpec.Cell.LSTM;
                    float[] hx = stateOf(in.hx(), s.directions(), B, b, H), cx = lstm ? stateOf(in.cx(), s.directions(), B, b, H) : null;
                    Inputs alone = new Inputs(Arrays.copyOfRange(in.x(), b * T * F, (b * T + n) * F), in.p(), hx, cx,
                            Arrays.copyOfRange(in.dy(), b * T * OH, (b * T + n) * OH), stateOf(in.dhy(), s.directions(), B, b, H),
                            lstm ? stateOf(in.dcy(), s.directions(), B, b, H) : null);
                    Pass one = run(vb, s, 1, n, null, alone);
                    String c = s + " ";
                    VectorBackendParityTest.assertClose(c + "y", one.y(), Arrays.copyOfRange(padded.y(), b * T * OH, (b * T + n) * OH), 1e-6, 1e-5);
                    VectorBackendParityTest.assertClose(c + "dx", one.dx(), Arrays.copyOfRange(padded.dx(), b * T * F, (b * T + n) * F), 1e-6, 1e-5);
                    VectorBackendParityTest.assertClose(c + "hy", one.hy(), stateOf(padded.hy(), s.directions(), B, b, H), 1e-6, 1e-5);
                    VectorBackendParityTest.assertClose(c + "dhx", one.dhx(), stateOf(padded.dhx(), s.directions(), B, b, H), 1e-6, 1e-5);
                    assertEquals(S, one.hy().length);
                }
            }
        }
    }

    /** Both CPU backends' traces keep the lengths (a copy), and none when every sequence is whole. */
    @Test
    void theTraceKeepsTheLengths() {
        RnnSpec s = new RnnSpec(RnnSpec.Cell.GRU, 3, 4, Activation.TANH, 1, true);
        int B = 3, T = 5;
        for (Backend be : new Backend[] {new ReferenceBackend(), new VectorBackend(2)}) {
            try (be) {
                Tensor x = be.allocate(B * T * 3), p = be.allocate(s.paramCount()), y = be.allocate(B * T * s.outputSize());
                int[] lengths = {5, 2, 1};
                try (RnnTrace t = be.rnnForward(s, B, T, lengths, x, RnnState.NONE, p, y, RnnState.NONE)) {
                    lengths[0] = 1;                                   // the caller's array may change afterwards
                    assertArrayEquals(new int[] {5, 2, 1}, t.lengths(), be.name());
                }
                try (RnnTrace t = be.rnnForward(s, B, T, new int[] {5, 5, 5}, x, RnnState.NONE, p, y, RnnState.NONE)) {
                    assertEquals(null, t.lengths(), be.name() + ": all T is full length");
                }
            }
        }
    }

    /** Sample b's (directions, 1, H) states out of (directions, B, H). */
    private static float[] stateOf(float[] states, int directions, int B, int b, int H) {
        float[] out = new float[directions * H];
        for (int d = 0; d < directions; d++) System.arraycopy(states, (d * B + b) * H, out, d * H, H);
        return out;
    }
}
