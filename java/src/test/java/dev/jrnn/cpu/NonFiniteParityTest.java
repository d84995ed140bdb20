package dev.jrnn.cpu;

import static dev.jrnn.cpu.TestData.get;
import static dev.jrnn.cpu.TestData.put;
import static dev.jrnn.cpu.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import dev.jrnn.ops.Rnn;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op of {@link VectorBackend} with NaN, +Inf and -Inf planted in each of its inputs, against
 * {@link ReferenceBackend}: an output is NaN exactly where the reference's is, infinite with the
 * same sign exactly where the reference's is, and close to it elsewhere. Rows are wider than a
 * vector (37 = 2 x 16 + 5), so both the vector lanes and the scalar tails see the special values.
 *
 * <p>NB: the reference computes in float64; a float32 lane saturates at the same limits (sigmoid
 * of -Inf is 0 or a subnormal within 5e-39 of it), so "close" uses an absolute 1e-5.
 */
class NonFiniteParityTest {
    private static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    private static final int COLS = 37, ROWS = 3;

    /** One op run on a backend: inputs by name, outputs read back. */
    private interface Op {
        List<float[]> run(Backend be, List<float[]> inputs);
    }

    private record Kernel(String name, List<float[]> inputs, Op op) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Kernel> kernels() {
        SplittableRandom r = new SplittableRandom(0x4E614EL);
        List<Kernel> ks = new ArrayList<>();
        int m = ROWS, n = COLS, k = 19;
        ks.add(new Kernel("gemm", List.of(uniform(r, m * k, 1), uniform(r, k * n, 1), uniform(r, m * n, 1)), (be, in) -> {
            Tensor c = put(be, in.get(2));
            be.gemm(false, false, m, n, k, 1f, put(be, in.get(0)), put(be, in.get(1)), 1f, c);
            return List.of(get(be, c));
        }));
        ks.add(new Kernel("gemm transposed", List.of(uniform(r, m * k, 1), uniform(r, k * n, 1), uniform(r, m * n, 1)), (be, in) -> {
            Tensor c = put(be, in.get(2));
            be.gemm(true, true, m, n, k, 0.5f, put(be, in.get(0)), put(be, in.get(1)), 1f, c);
            return List.of(get(be, c));
        }));
        for (Activation act : new Activation[] {Activation.LINEAR, Activation.RELU, Activation.TANH, Activation.SIGMOID}) {
            ks.add(new Kernel("biasActivation " + act, List.of(uniform(r, m * n, 3), uniform(r, n, 1)), (be, in) -> {
                Tensor y = put(be, in.get(0));
                be.biasActivation(m, n, y, put(be, in.get(1)), act);
                return List.of(get(be, y));
            }));
        }
        for (Activation act : new Activation[] {Activation.RELU, Activation.TANH, Activation.SIGMOID}) {
            ks.add(new Kernel("activationBackward " + act, List.of(uniform(r, m * n, 1), uniform(r, m * n, 1)), (be, in) -> {
                Tensor dy = put(be, in.get(1));
                be.activationBackward(m * n, act, put(be, in.get(0)), dy);
                return List.of(get(be, dy));
            }));
        }
        ks.add(new Kernel("biasGradient", List.of(uniform(r, m * n, 1), uniform(r, n, 1)), (be, in) -> {
            Tensor db = put(be, in.get(1));
            be.biasGradient(m, n, put(be, in.get(0)), db);
            return List.of(get(be, db));
        }));
        int T = 4;
        ks.add(new Kernel("lastStep", List.of(uniform(r, m * T * n, 1)), (be, in) -> {
            Tensor out = be.allocate(m * n);
            be.lastStep(m, T, n, put(be, in.get(0)), out);
            return List.of(get(be, out));
        }));
        ks.add(new Kernel("lastStepBackward", List.of(uniform(r, m * n, 1)), (be, in) -> {
            Tensor out = be.allocate(m * T * n);
            be.lastStepBackward(m, T, n, put(be, in.get(0)), out);
            return List.of(get(be, out));
        }));
        ks.add(new Kernel("gatherRows", List.of(uniform(r, 5 * n, 1)), (be, in) -> {
            Tensor out = be.allocate(m * n);
            be.gatherRows(m, n, put(be, in.get(0)), put(be, new float[] {4, 0, 2}), out);
            return List.of(get(be, out));
        }));
        ks.add(new Kernel("dropout", List.of(uniform(r, m * n, 1)), (be, in) -> {
            Tensor out = be.allocate(m * n);
            be.dropout(7, 3, 1, 0.25f, m * n, put(be, in.get(0)), out);
            return List.of(get(be, out));
        }));
        int classes = 10;
        ks.add(new Kernel("softmaxCrossEntropy", List.of(uniform(r, m * classes, 3)), (be, in) -> {
            Tensor d = be.allocate(m * classes), st = be.allocate(2);
            be.fill(st, 0f);
            be.softmaxCrossEntropy(m, classes, put(be, in.get(0)), put(be, new float[] {1, 9, 0}), 1f / m, d, st);
            return List.of(get(be, d), new float[] {get(be, st)[0]});   // NB: the argmax count of a NaN row is undefined
        }));
        ks.add(new Kernel("softmax", List.of(uniform(r, m * classes, 3)), (be, in) -> {
            Tensor p = be.allocate(m * classes);
            be.softmax(m, classes, put(be, in.get(0)), p);
            return List.of(get(be, p));
        }));
        int pn = 2 * 16 + 7;
        float[] v0 = uniform(r, pn, 1);
        for (int i = 0; i < pn; i++) v0[i] = Math.abs(v0[i]);
        ks.add(new Kernel("adam", List.of(uniform(r, pn, 1), uniform(r, pn, 1), uniform(r, pn, 0.1), v0), (be, in) -> {
            Tensor p = put(be, in.get(0)), mm = put(be, in.get(2)), vv = put(be, in.get(3));
            be.adam(pn, p, put(be, in.get(1)), mm, vv, 1e-3f, 0.9f, 0.999f, 1e-7f, 3);
            return List.of(get(be, p), get(be, mm), get(be, vv));
        }));
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (Activation act : new Activation[] {Activation.TANH, Activation.RELU}) {
                int B = 3, S = 3, F = 5, H = 17;
                RnnSpec spec = new RnnSpec(cell, F, H, act);
                // NB: through ops.Rnn, the public layer over the backend's rnnForward/rnnBackward
                ks.add(new Kernel("rnn " + cell + " " + act, List.of(uniform(r, B * S * F, 1), uniform(r, spec.paramCount(), 0.5),
                        uniform(r, B * S * H, 1)), (be, in) -> {
                    float[] y = new float[B * S * H], dx = new float[B * S * F];
                    try (Rnn rnn = Rnn.create(be, spec, 1)) {
                        rnn.setParameters(in.get(1));
                        try (Rnn.Saved saved = rnn.forward(B, S, in.get(0), null, null, y, null, null)) {
                            rnn.backward(saved, in.get(2), null, null, dx, null, null);
                        }
                        return List.of(y, dx, rnn.getGradients());
                    }
                }));
            }
        }
        return ks.stream();
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        kernels().forEach(kn -> {
            for (int input = 0; input < kn.inputs().size(); input++) {
                for (float special : SPECIALS) cases.add(Arguments.of(kn, input, special));
            }
        });
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: input {1} holds {2}")
    @MethodSource("cases")
    void nonFiniteInputsGiveTheReferencesNonFiniteOutputs(Kernel kn, int input, float special) {
        List<float[]> in = new ArrayList<>();
        for (float[] a : kn.inputs()) in.add(a.clone());
        float[] target = in.get(input);
        // one special value in a vector lane and one in the scalar tail (or the only element)
        target[0] = special;
        target[target.length - 1] = special;
        List<float[]> want = kn.op().run(new ReferenceBackend(), in);
        for (boolean vectorize : new boolean[] {true, false}) {
            try (VectorBackend vb = new VectorBackend(2, vectorize)) {
                List<float[]> got = kn.op().run(vb, copies(in));
                for (int o = 0; o < want.size(); o++) {
                    assertSameValues(kn + " output " + o + (vectorize ? "" : " (scalar)"), want.get(o), got.get(o));
                }
            }
        }
    }

    private static List<float[]> copies(List<float[]> in) {
        return in.stream().map(float[]::clone).toList();
    }

    static void assertSameValues(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            boolean ok = Float.isNaN(e) ? Float.isNaN(a)
                    : Float.isInfinite(e) || Float.isInfinite(a) ? e == a
                    : !Float.isNaN(a) && Math.abs(a - e) <= 1e-5 + 1e-4 * Math.abs(e);
            if (!ok) fail(what + ": element " + i + " expected " + e + " but was " + a);
        }
    }

    @Test
    void everyKernelHasNonFiniteCases() {
        Function<String, Boolean> has = name -> kernels().anyMatch(k -> k.name().startsWith(name));
        for (String op : List.of("gemm", "biasActivation", "activationBackward", "biasGradient", "lastStep",
                "gatherRows", "dropout", "softmaxCrossEntropy", "softmax", "adam", "rnn LSTM", "rnn GRU")) {
            assertTrue(has.apply(op), op);
        }
    }

    @Test
    void activationsKeepNaNAndSaturateOnInfinity() {
        float[] src = new float[40];
        for (int i = 0; i < src.length; i++) src[i] = i % 3 == 0 ? Float.NaN : i % 3 == 1 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        for (boolean vector : new boolean[] {true, false}) {
            float[] s = new float[40], t = new float[40], rl = new float[40];
            VectorMath.sigmoid(vector, 1, src, 0, 40, s, 0, 40, 40);
            VectorMath.tanh(vector, 1, src, 0, 40, t, 0, 40, 40);
            VectorMath.relu(vector, 1, src, 0, 40, rl, 0, 40, 40);
            for (int i = 0; i < 40; i++) {
                String at = "element " + i + " of " + src[i] + (vector ? "" : " (scalar)");
                if (i % 3 == 0) {
                    assertTrue(Float.isNaN(s[i]) && Float.isNaN(t[i]) && Float.isNaN(rl[i]), at);
                } else {
                    boolean pos = i % 3 == 1;
                    assertEquals(pos ? 1f : 0f, s[i], 5e-39f, at);
                    assertEquals(pos ? 1f : -1f, t[i], 0f, at);
                    assertEquals(pos ? Float.POSITIVE_INFINITY : 0f, rl[i], at);
                }
            }
        }
    }
}
