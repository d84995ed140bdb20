package dev.jrnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec.Cell;
import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Preprocess;
import dev.jrnn.experiment.ModelName;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.EpochRecord;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests with generated cases (a named seed per case): a checkpoint of any model and state
 * reads back bit for bit, special floats included; a PyTorch export imports back to the same
 * model and every parameter bit, for each notebook model and for random stacks.
 */
class RoundTripPropertyTest {
    private static final int CASES = 40;

    @TempDir
    Path dir;

    /** Any float, NaN, infinities, subnormals and signed zeros included (NaN payloads are not kept by the format's users). */
    static float[] anyFloats(SplittableRandom r, int n) {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE,
                -Float.MIN_NORMAL, Float.MAX_VALUE};
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(20);
            a[i] = k == 0 ? special[r.nextInt(special.length)] : k == 1 ? Float.intBitsToFloat(r.nextInt())
                    : (float) r.nextGaussian();
            if (Float.isNaN(a[i])) a[i] = Float.NaN;
        }
        return a;
    }

    /** A random stack: 1-3 recurrent layers of either cell (a stack continues the same cell), optional dropout, 1-2 dense. */
    static Sequential randomModel(SplittableRandom r) {
        int steps = 1 + r.nextInt(6), features = 1 + r.nextInt(7);
        Sequential.Builder b = Sequential.builder().input(steps, features);
        int rec = 1 + r.nextInt(3);
        for (int l = 0; l < rec; l++) {
            boolean last = l == rec - 1;
            int units = 1 + r.nextInt(9);
            Activation act = r.nextBoolean() ? Activation.TANH : Activation.RELU;
            b.add(r.nextBoolean() ? new LSTM(units, act, !last) : new GRU(units, act, !last));
        }
        if (r.nextBoolean()) b.add(new Dropout(r.nextDouble() * 0.9));
        if (r.nextBoolean()) b.add(new Dense(1 + r.nextInt(8), Activation.RELU));
        b.add(new Dense(2 + r.nextInt(9), Activation.SOFTMAX));
        return b.build();
    }

    static Stream<Integer> cases() {
        return IntStream.range(0, CASES).boxed();
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void checkpointsRoundTrip(int k) throws IOException {
        SplittableRandom r = new SplittableRandom(0xC0FFEEL + k);
        Sequential m = randomModel(r);
        int p = m.paramCount();
        Checkpoint c;
        if (r.nextBoolean()) {
            c = new Checkpoint(m, anyFloats(r, p), null);
        } else {
            int epochs = 1 + r.nextInt(5), done = r.nextInt(epochs + 1);
            List<EpochRecord> history = new ArrayList<>();
            for (int e = 1; e <= done; e++) {
                history.add(new EpochRecord(e, r.nextDouble() * 3, r.nextDouble(), r.nextBoolean() ? Double.NaN : r.nextDouble(),
                        r.nextBoolean() ? Double.NaN : r.nextDouble(), r.nextDouble() * 10, r.nextDouble() * 1e4));
            }
            TrainConfig cfg = TrainConfig.defaults().withSeed(r.nextLong()).withBatchSize(1 + r.nextInt(512))
                    .withLearningRate((float) (1e-5 + r.nextDouble()));
            DataSelection data = new DataSelection(r.nextBoolean() ? "mnist" : "fashion-mnist", r.nextInt(1000),
                    r.nextInt(5) / 10.0, r.nextBoolean() ? Preprocess.SCALE : Preprocess.binarize((float) r.nextDouble()));
            Evaluation test = done == epochs && r.nextBoolean() ? new Evaluation(r.nextDouble(), r.nextDouble(), 1 + r.nextInt(100), r.nextDouble()) : null;
            c = new Checkpoint(m, anyFloats(r, p), new Checkpoint.Training(cfg, anyFloats(r, p), anyFloats(r, p),
                    r.nextInt(1 << 20), done, epochs, data, r.nextBoolean() ? "cpu" : "cuda", history, test));
        }
        Path f = dir.resolve("c" + k + ".safetensors");
        c.save(f);
        Checkpoint back = Checkpoint.load(f);
        assertEquals(ModelJson.toJson(c.model()), ModelJson.toJson(back.model()), "model of case " + k);
        assertBits("params", c.params(), back.params());
        assertEquals(c.training() == null, back.training() == null);
        if (c.training() != null) {
            var a = c.training();
            var b = back.training();
            assertBits("m", a.m(), b.m());
            assertBits("v", a.v(), b.v());
            assertEquals(a.config(), b.config());
            assertEquals(a.data(), b.data());
            assertEquals(a.step(), b.step());
            assertEquals(a.epochsDone(), b.epochsDone());
            assertEquals(a.epochs(), b.epochs());
            assertEquals(a.backend(), b.backend());
            assertEquals(a.history(), b.history());
            assertEquals(a.test(), b.test());
        }
    }

    static void assertBits(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]), what + "[" + i + "]: " + expected[i]
                    + " became " + actual[i]);
        }
    }

    static Stream<String> notebookModels() {
        return ModelName.NOTEBOOK.stream().map(ModelName::toString);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notebookModels")
    void notebookModelsRoundTripThroughPyTorch(String name) throws IOException {
        Sequential m = ModelName.parse(name).build(Activation.TANH, 0.2, 28, 28, 10);
        SplittableRandom r = new SplittableRandom(name.hashCode());
        pytorchRoundTrip(m, anyFiniteWithZeroBiasHh(r, m), 28, Activation.TANH, 0.2);
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void randomStacksRoundTripThroughPyTorch(int k) throws IOException {
        SplittableRandom r = new SplittableRandom(0x7042L + k);
        Cell cell = r.nextBoolean() ? Cell.LSTM : Cell.GRU;
        int steps = 1 + r.nextInt(30), features = 1 + r.nextInt(30), classes = 2 + r.nextInt(12);
        Activation act = r.nextBoolean() ? Activation.TANH : Activation.RELU;
        double dropout = r.nextInt(9) / 10.0;
        Sequential m = Sequential.notebook(cell, 1 + r.nextInt(40), 1 + r.nextInt(4), act, dropout, steps, features, classes);
        pytorchRoundTrip(m, anyFiniteWithZeroBiasHh(r, m), steps, act, dropout);
    }

    /** Random parameters; finite: a bit-exact trip is what is promised for the numbers a model can hold. */
    private static float[] anyFiniteWithZeroBiasHh(SplittableRandom r, Sequential m) {
        float[] p = new float[m.paramCount()];
        for (int i = 0; i < p.length; i++) p[i] = r.nextInt(50) == 0 ? -0f : (float) r.nextGaussian();
        return p;
    }

    private void pytorchRoundTrip(Sequential m, float[] params, int steps, Activation act, double dropout) throws IOException {
        Checkpoint c = new Checkpoint(m, params, null);
        Path f = dir.resolve(m.shortName() + "-torch.safetensors");
        PyTorchWeights.save(c, f);
        Checkpoint back = PyTorchWeights.load(f, steps, act, dropout);
        assertEquals(ModelJson.toJson(m), ModelJson.toJson(back.model()), m.shortName());
        assertBits(m.shortName() + " params", params, back.params());
    }
}
