package dev.jrnn.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.backend.RnnSpec;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property test with generated cases: the standalone {@link Rnn} on the Vector API CPU backend
 * against the reference, for random cells, activations and shapes (B, T, F, H),
 * with random initial states and output gradients: y, hy, cy, dx, dhx, dcx and the parameter
 * gradients agree within 2e-5 + 2e-4 |expected|.
 */
class RnnPropertyTest {
    private static final int CASES = 60;
    private static Backend cpu, ref;

    @BeforeAll
    static void open() {
        cpu = Backends.cpu(2);
        ref = Backends.reference();
    }

    @AfterAll
    static void close() {
        cpu.close();
        ref.close();
    }

    static Stream<Integer> cases() {
        return IntStream.range(0, CASES).boxed();
    }

    private static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private record Shape(RnnSpec spec, int batch, int steps) {}

    private static float[][] run(Backend be, Shape s, float[] params, float[] x, float[] hx, float[] cx, float[] dy,
                                 float[] dhy, float[] dcy) {
        RnnSpec spec = s.spec();
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        int B = s.batch(), T = s.steps(), H = spec.units(), L = spec.layers();
        float[] y = new float[B * T * H], hy = new float[L * B * H], cy = lstm ? new float[L * B * H] : null;
        float[] dx = new float[x.length], dhx = new float[L * B * H], dcx = lstm ? new float[L * B * H] : null;
        try (Rnn rnn = Rnn.create(be, spec, 1)) {
            rnn.setParameters(params);
            try (Rnn.Saved saved = rnn.forward(B, T, x, hx, lstm ? cx : null, y, hy, cy)) {
                rnn.backward(saved, dy, dhy, lstm ? dcy : null, dx, dhx, dcx);
            }
            return new float[][] {y, hy, cy, dx, dhx, dcx, rnn.getGradients()};
        }
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void cpuMatchesTheReferenceForRandomShapes(int k) {
        SplittableRandom r = new SplittableRandom(0x524E4EL + k);
        RnnSpec.Cell cell = r.nextBoolean() ? RnnSpec.Cell.LSTM : RnnSpec.Cell.GRU;
        Activation act = r.nextInt(3) == 0 ? Activation.RELU : Activation.TANH;
        int F = 1 + r.nextInt(40), H = 1 + r.nextInt(40), layers = 1;   // NB: an Rnn is one layer (stacks run in Sequential)
        Shape s = new Shape(new RnnSpec(cell, F, H, act, layers), 1 + r.nextInt(9), 1 + r.nextInt(8));
        int B = s.batch(), T = s.steps(), L = layers;
        double scale = act == Activation.RELU ? 0.3 : 0.8;   // NB: keeps relu stacks from growing past the tolerance
        float[] params = random(r, s.spec().paramCount(), scale / Math.sqrt(Math.max(F, H)) * 2);
        float[] x = random(r, B * T * F, 1), hx = random(r, L * B * H, 0.5), cx = random(r, L * B * H, 0.5);
        float[] dy = random(r, B * T * H, 1), dhy = random(r, L * B * H, 1), dcy = random(r, L * B * H, 1);
        float[][] got = run(cpu, s, params, x, hx, cx, dy, dhy, dcy), want = run(ref, s, params, x, hx, cx, dy, dhy, dcy);
        String[] names = {"y", "hy", "cy", "dx", "dhx", "dcx", "dParams"};
        for (int o = 0; o < names.length; o++) {
            if (want[o] == null) continue;
            assertEquals(want[o].length, got[o].length, names[o]);
            for (int i = 0; i < want[o].length; i++) {
                double e = want[o][i], a = got[o][i];
                if (!(Math.abs(a - e) <= 2e-5 + 2e-4 * Math.abs(e))) {
                    fail(s + " " + names[o] + "[" + i + "]: expected " + e + " but was " + a);
                }
            }
        }
    }
}
