package dev.jrnn.cpu;

import static dev.jrnn.cpu.GoldenVectorTest.assertClose;
import static dev.jrnn.cpu.GoldenVectorTest.load;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.Network;
import java.io.IOException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seed notebook's models as a whole, against PyTorch float64 ({@code golden/make_golden.py},
 * {@code model_*} cases): the recurrent stack (1 or 4 layers, tanh or relu cells), its last step,
 * Dense(64, relu), Dense(10), softmax cross-entropy averaged over the batch; no dropout. Each case
 * checks the logits, the loss and every parameter gradient of {@link Network} on the reference
 * (fed float32-exact inputs, it computes in double: 1e-9) and on the Vector API backend (float32).
 */
class ModelGoldenTest {
    static final String[] MODELS = {"lstm32", "lstm64", "gru32", "gru64", "lstm32x4", "gru32x4"};

    static Stream<String> cases() {
        return Stream.of(MODELS).flatMap(m -> Stream.of("model_" + m + "_tanh", "model_" + m + "_relu"));
    }

    /**
     * The fixture's parameters, as its header defines them: {@code (u - 2^23) / 2^25} with u the
     * top 24 bits of splitmix64(i + 1); exact in float32.
     */
    static float[] splitmixParams(int n) {
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            long z = (i + 1L) * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            p[i] = (float) (((z >>> 40) - (1 << 23)) / (double) (1 << 25));
        }
        return p;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void referenceMatchesPyTorch(String name) throws IOException {
        check(name, ReferenceBackend::new, ReferenceBackend::toArray, 1e-9, 1e-3);
    }

    /** float32: 1e-5 relative, elements below a tenth of the tensor's largest magnitude judged at that tenth. */
    @ParameterizedTest
    @MethodSource("cases")
    void vectorBackendMatchesPyTorch(String name) throws IOException {
        check(name, () -> new VectorBackend(2), t -> GoldenVectorTest.toDouble(VectorBackend.toArray(t)), 1e-5, 0.1);
    }

    static void check(String name, Supplier<Backend> factory, Function<Tensor, double[]> out, double rel, double floor)
            throws IOException {
        GoldenVectorTest.Golden g = load(name);
        int B = g.get("batch"), T = g.get("steps"), F = g.get("features"), C = g.get("classes");
        Sequential model = Sequential.notebook(RnnSpec.Cell.parse(g.meta().get("cell")), g.get("units"),
                g.get("layers"), Activation.parse(g.meta().get("activation")), 0.0, T, F, C);
        assertEquals(g.t("dparams").length, model.paramCount(), name + ": parameter count of " + model.shortName());
        try (Backend be = factory.get(); Network net = new Network(model, be, B)) {
            net.setParameters(splitmixParams(model.paramCount()));
            Tensor x = GoldenVectorTest.put(be, g.t("x")), labels = GoldenVectorTest.put(be, g.t("labels"));
            Tensor dLogits = be.allocate(B * C), stats = be.allocate(2);
            be.fill(stats, 0f);
            be.fill(net.grads(), 0f);
            Tensor logits = net.forward(B, x, true, 42L, 0L);
            assertClose(name + " logits", g.t("logits"), out.apply(logits), rel, floor);
            be.softmaxCrossEntropy(B, C, logits, labels, 1f / B, dLogits, stats);
            double loss = out.apply(stats)[0] / B;
            assertClose(name + " loss", g.t("loss"), new double[] {loss}, rel, floor);
            net.backward(B, dLogits);
            assertClose(name + " dparams", g.t("dparams"), out.apply(net.grads()), rel, floor);
        }
    }

    /** {@code out[b, j] == seq[b, T-1, j]} exactly, and the backward pass writes dOut at step T-1 only. */
    @Test
    void lastStepIsStepTMinusOne() {
        int B = 3, T = 5, W = 4;
        float[] seq = new float[B * T * W], dOut = new float[B * W];
        for (int i = 0; i < seq.length; i++) seq[i] = i + 1;
        for (int i = 0; i < dOut.length; i++) dOut[i] = -(i + 1);
        for (Supplier<Backend> f : java.util.List.<Supplier<Backend>>of(ReferenceBackend::new, () -> new VectorBackend(2))) {
            try (Backend be = f.get()) {
                Tensor s = be.allocate(seq.length), o = be.allocate(B * W), d = be.allocate(dOut.length);
                Tensor ds = be.allocate(seq.length);
                be.write(seq, 0, s, seq.length);
                be.write(dOut, 0, d, dOut.length);
                be.lastStep(B, T, W, s, o);
                be.lastStepBackward(B, T, W, d, ds);
                float[] got = new float[B * W], dgot = new float[seq.length];
                be.read(o, got, 0, got.length);
                be.read(ds, dgot, 0, dgot.length);
                for (int b = 0; b < B; b++) {
                    for (int t = 0; t < T; t++) {
                        for (int j = 0; j < W; j++) {
                            int at = (b * T + t) * W + j;
                            if (t == T - 1) {
                                assertEquals(seq[at], got[b * W + j], be + ": out[" + b + ", " + j + "] != seq[b, T-1, j]");
                            }
                            assertEquals(t == T - 1 ? dOut[b * W + j] : 0f, dgot[at],
                                    be + ": dSeq[" + b + ", " + t + ", " + j + "]");
                        }
                    }
                }
            }
        }
    }
}
