package dev.jrnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec.Cell;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.cpu.VectorBackend;
import dev.jrnn.data.Dataset;
import dev.jrnn.nn.Initializers;
import dev.jrnn.nn.Sequential;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainerTest {

    /** A learnable toy task: the class is which quarter of the sequence holds the bright row. */
    static Dataset toy(int n, int steps, int features, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n * steps * features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(4);
            int row = y[i] * steps / 4 + rnd.nextInt(steps / 4);
            for (int t = 0; t < steps; t++) {
                for (int f = 0; f < features; f++) {
                    x[(i * steps + t) * features + f] = (float) (rnd.nextDouble() * 0.2 + (t == row ? 0.8 : 0));
                }
            }
        }
        return new Dataset("toy", x, y, steps, features, 4);
    }

    private static Sequential model(Cell cell) {
        return Sequential.notebook(cell, 8, 1, Activation.TANH, 0.2, 8, 5, 4);
    }

    static List<EpochMetrics> train(Backend be, Cell cell, Dataset d, int epochs, long seed, float[][] paramsOut) {
        TrainConfig cfg = TrainConfig.defaults().withBatchSize(32).withSeed(seed).withLearningRate(1e-2f);
        try (Trainer t = new Trainer(model(cell), be, cfg)) {
            List<EpochMetrics> h = t.fit(d, epochs, null);
            paramsOut[0] = t.network().getParameters();
            return h;
        }
    }

    /** withEvalBatchSize changes that field only, and is checked as the constructor checks it. */
    @Test
    void withEvalBatchSizeChangesOnlyThatField() {
        TrainConfig d = TrainConfig.defaults().withBatchSize(17).withBucketing(true);
        TrainConfig e = d.withEvalBatchSize(17);
        assertEquals(17, e.evalBatchSize());
        assertEquals(new TrainConfig(d.learningRate(), d.beta1(), d.beta2(), d.epsilon(), d.batchSize(), d.seed(),
                d.shuffle(), d.logInterval(), 17, d.bucketing()), e);
        assertThrows(IllegalArgumentException.class, () -> d.withEvalBatchSize(0));
    }

    @Test
    void lstmAndGruLearnToyTaskOnReference() {
        Dataset d = toy(256, 8, 5, 1);
        for (Cell cell : Cell.values()) {
            float[][] p = new float[1][];
            List<EpochMetrics> h = train(new ReferenceBackend(), cell, d, 8, 3, p);
            assertTrue(h.get(7).loss() < h.get(0).loss() * 0.6, cell + " loss did not fall: " + h);
            try (Trainer t = new Trainer(model(cell), new ReferenceBackend(), TrainConfig.defaults())) {
                t.network().setParameters(p[0]);
                Evaluation ev = t.evaluate(toy(200, 8, 5, 2));
                assertTrue(ev.accuracy() > 0.8, cell + " accuracy " + ev);
            }
        }
    }

    @Test
    void sameSeedSameWeightsBitForBit() {
        Dataset d = toy(100, 8, 5, 1);
        float[][] a = new float[1][], b = new float[1][], c = new float[1][];
        List<EpochMetrics> ha = train(new ReferenceBackend(), Cell.GRU, d, 2, 11, a);
        List<EpochMetrics> hb = train(new ReferenceBackend(), Cell.GRU, d, 2, 11, b);
        train(new ReferenceBackend(), Cell.GRU, d, 2, 12, c);
        assertArrayEquals(a[0], b[0]);
        assertEquals(ha.get(1).loss(), hb.get(1).loss());
        assertTrue(!java.util.Arrays.equals(a[0], c[0]), "another seed must give other weights");
    }

    @Test
    void vectorBackendIsDeterministicAndTracksTheReference() {
        Dataset d = toy(200, 8, 5, 4);
        for (Cell cell : Cell.values()) {
            float[][] a = new float[1][], b = new float[1][], r = new float[1][];
            try (var be = new dev.jrnn.cpu.VectorBackend(2)) {
                train(be, cell, d, 2, 5, a);
            }
            try (var be = new dev.jrnn.cpu.VectorBackend(2)) {
                train(be, cell, d, 2, 5, b);
            }
            assertArrayEquals(a[0], b[0], cell + ": same seed, same weights, bit for bit");
            List<EpochMetrics> hr = train(new ReferenceBackend(), cell, d, 1, 5, r);
            float[][] v1 = new float[1][];
            List<EpochMetrics> hv;
            try (var be = new dev.jrnn.cpu.VectorBackend(2)) {
                hv = train(be, cell, d, 1, 5, v1);
            }
            // One epoch (7 Adam steps, same dropout masks): float32 vs float64 stay close.
            assertEquals(hr.get(0).loss(), hv.get(0).loss(), 1e-4, cell + " epoch loss");
            for (int i = 0; i < r[0].length; i++) {
                assertEquals(r[0][i], v1[0][i], 1e-4, cell + " parameter " + i);
            }
        }
    }

    @Test
    void restoredStateContinuesBitForBit() {
        Dataset d = toy(100, 8, 5, 7);
        TrainConfig cfg = TrainConfig.defaults().withBatchSize(32).withSeed(9).withLearningRate(1e-2f);
        for (Cell cell : Cell.values()) {
            Trainer.State whole, half, resumed;
            try (var be = new dev.jrnn.cpu.VectorBackend(2); Trainer t = new Trainer(model(cell), be, cfg)) {
                t.fit(d, 2, null);
                whole = t.state();
            }
            try (var be = new dev.jrnn.cpu.VectorBackend(2); Trainer t = new Trainer(model(cell), be, cfg)) {
                t.fit(d, 1, null);
                half = t.state();
            }
            try (var be = new dev.jrnn.cpu.VectorBackend(2); Trainer t = new Trainer(model(cell), be, cfg)) {
                t.restore(half);
                assertEquals(1, t.epochsDone());
                assertEquals(half.step(), t.step());
                t.fit(d, 1, null);
                resumed = t.state();
            }
            assertEquals(2, whole.epochsDone());
            assertEquals(whole.step(), resumed.step());
            assertArrayEquals(whole.params(), resumed.params(), cell + " params");
            assertArrayEquals(whole.m(), resumed.m(), cell + " Adam m");
            assertArrayEquals(whole.v(), resumed.v(), cell + " Adam v");
            assertTrue(!java.util.Arrays.equals(half.params(), whole.params()), "the second epoch changed the weights");
        }
    }

    @Test
    void batchesGatheredOnTheBackendAreTheSamplesInShuffledOrder() {
        // The trainer keeps datasets on the backend and gathers each batch there; compare with
        // batches assembled on the host in the documented order, through trainOnBatch.
        Dataset d = toy(100, 8, 5, 9);
        TrainConfig cfg = TrainConfig.defaults().withBatchSize(32).withSeed(3).withLearningRate(1e-2f);
        try (VectorBackend be = new VectorBackend(2); Trainer fit = new Trainer(model(Cell.GRU), be, cfg);
             Trainer manual = new Trainer(model(Cell.GRU), be, cfg)) {
            fit.fit(d, 2, null);
            int sample = d.sampleSize();
            for (int epoch = 1; epoch <= 2; epoch++) {
                int[] order = new int[d.size()];
                for (int i = 0; i < order.length; i++) order[i] = i;
                SplittableRandom rnd = new SplittableRandom(cfg.seed() * 0x9E3779B97F4A7C15L + epoch);
                for (int i = order.length - 1; i > 0; i--) {
                    int j = rnd.nextInt(i + 1), t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                for (int start = 0; start < d.size(); start += 32) {
                    int b = Math.min(32, d.size() - start);
                    float[] x = new float[b * sample];
                    int[] y = new int[b];
                    for (int i = 0; i < b; i++) {
                        System.arraycopy(d.x(), order[start + i] * sample, x, i * sample, sample);
                        y[i] = d.y()[order[start + i]];
                    }
                    manual.trainOnBatch(x, y, b);
                }
            }
            assertArrayEquals(manual.network().getParameters(), fit.network().getParameters());
            // evaluating the training set reuses its backend copy; a copy of the arrays is uploaded anew
            Dataset copy = new Dataset("copy", d.x().clone(), d.y().clone(), d.steps(), d.features(), d.classes());
            assertEquals(fit.evaluate(d).loss(), fit.evaluate(copy).loss(), 0.0);
            assertEquals(fit.evaluate(copy).accuracy(), manual.evaluate(d).accuracy(), 0.0);
        }
    }

    @Test
    void labelsChangedInPlaceAreUploadedAgain() {
        Dataset d = toy(64, 8, 5, 13);
        int[] original = d.y().clone();
        TrainConfig cfg = TrainConfig.defaults().withBatchSize(16).withSeed(2);
        try (VectorBackend be = new VectorBackend(1); Trainer inPlace = new Trainer(model(Cell.GRU), be, cfg);
             Trainer fresh = new Trainer(model(Cell.GRU), be, cfg)) {
            inPlace.fit(d, 1, null);
            fresh.fit(new Dataset("copy", d.x().clone(), original.clone(), d.steps(), d.features(), d.classes()), 1, null);
            for (int i = 0; i < d.y().length; i++) d.y()[i] = (d.y()[i] + 1) % d.classes();   // against the advice
            inPlace.fit(d, 1, null);
            fresh.fit(new Dataset("copy2", d.x().clone(), d.y().clone(), d.steps(), d.features(), d.classes()), 1, null);
            assertArrayEquals(fresh.network().getParameters(), inPlace.network().getParameters());
        }
    }

    @Test
    void batchByBatchCopiesGiveTheSameWeightsAsTheBackendCopy() {
        Dataset d = toy(90, 8, 5, 11);
        float[][] kept = new float[1][], copied = new float[1][];
        try (VectorBackend be = new VectorBackend(2)) {
            List<EpochMetrics> a = train(be, Cell.LSTM, d, 2, 5, kept);
            long limit = Trainer.residentLimit;
            Trainer.residentLimit = 0;   // every dataset too large to keep: the staging path
            try {
                List<EpochMetrics> b = train(be, Cell.LSTM, d, 2, 5, copied);
                assertEquals(a.get(1).loss(), b.get(1).loss(), 0.0);
            } finally {
                Trainer.residentLimit = limit;
            }
        }
        assertArrayEquals(kept[0], copied[0]);
    }

    @Test
    void restoreRejectsAnotherModelsState() {
        try (Trainer t = new Trainer(model(Cell.LSTM), new ReferenceBackend(), TrainConfig.defaults())) {
            float[] p = new float[3];
            var e = assertThrows(IllegalArgumentException.class, () -> t.restore(new Trainer.State(p, p, p, 0, 0)));
            assertTrue(e.getMessage().contains("found 3"), e.getMessage());
        }
    }

    @Test
    void rejectsMismatchedData() {
        try (Trainer t = new Trainer(model(Cell.LSTM), new ReferenceBackend(), TrainConfig.defaults())) {
            var e = assertThrows(IllegalArgumentException.class, () -> t.fit(toy(8, 4, 10, 1), 1, null));
            assertTrue(e.getMessage().contains("(8, 5)") && e.getMessage().contains("(4, 10)"), e.getMessage());
        }
    }

    @Test
    void divergenceIsReportedNotHidden() {
        Dataset d = toy(64, 8, 5, 1);
        d.x()[7] = Float.NaN;
        try (Trainer t = new Trainer(model(Cell.LSTM), new ReferenceBackend(), TrainConfig.defaults())) {
            var e = assertThrows(ArithmeticException.class, () -> t.fit(d, 1, null));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        }
    }

    @Test
    void initialisationFollowsKeras() {
        Sequential m = Sequential.notebook(Cell.LSTM, 6, 1, Activation.TANH, 0.2, 3, 4, 10);
        float[] p = Initializers.initialParameters(m, 5);
        var spec = new dev.jrnn.nn.LSTM(6).spec(4);
        int gh = spec.gateWidth(), h = spec.units();
        for (int u = 0; u < gh; u++) {
            assertEquals(u >= h && u < 2 * h ? 1f : 0f, p[spec.offsetBias() + u], "bias " + u);
        }
        double limit = Math.sqrt(6.0 / (4 + gh));
        for (int i = 0; i < gh * 4; i++) assertTrue(Math.abs(p[i]) <= limit);
        for (int a = 0; a < h; a++) {           // R (G*H, H) has orthonormal columns
            for (int b = 0; b < h; b++) {
                double dot = 0;
                for (int r = 0; r < gh; r++) dot += p[spec.offsetR() + r * h + a] * p[spec.offsetR() + r * h + b];
                assertEquals(a == b ? 1 : 0, dot, 1e-5);
            }
        }
    }
}
