package dev.jrnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.Tensor;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.cpu.VectorBackend;
import dev.jrnn.data.Dataset;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Bidirectional.Merge;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.Initializers;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Masking;
import dev.jrnn.nn.Sequential;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 16 in the network and the trainer: the index math of the last valid step, length
 * bucketing, and end to end, variable-length and bidirectional models that learn, whose outputs
 * match the directions run one by one and depend neither on padding nor on batch-mates.
 */
class SequenceTrainingTest {

    // ---- index math, no recurrent kernel needed ------------------------------------------------

    @Test
    void lastStepRowsPickTheLastValidStepAndTheReverseDirectionsFirst() {
        SplittableRandom r = new SplittableRandom(3);
        int B = 5, T = 7, H = 3;
        int[] len = new int[B];
        for (int b = 0; b < B; b++) len[b] = 1 + r.nextInt(T);
        float[] y = new float[B * T * 2 * H];                 // (B, T, 2H)
        for (int i = 0; i < y.length; i++) y[i] = (float) r.nextDouble();
        float[] idx = Network.lastStepRows(B, T, len, true);
        assertEquals(2 * B, idx.length);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                // gathered row 2b is the forward half at len-1, row 2b+1 the reverse half at 0
                assertEquals(y[(b * T + len[b] - 1) * 2 * H + h], y[(int) idx[2 * b] * H + h]);
                assertEquals(y[(b * T) * 2 * H + H + h], y[(int) idx[2 * b + 1] * H + h]);
            }
        }
        float[] uni = Network.lastStepRows(B, T, len, false);
        for (int b = 0; b < B; b++) assertEquals(b * T + len[b] - 1, (int) uni[b]);
        assertArrayEquals(new float[] {T - 1, 2 * T - 1}, Network.lastStepRows(2, T, null, false));
    }

    @Test
    void gatherAndScatterOnTheBackendFollowTheIndexMath() {
        int B = 4, T = 6, H = 2;
        int[] len = {6, 1, 3, 4};
        SplittableRandom r = new SplittableRandom(9);
        float[] y = new float[B * T * 2 * H];
        for (int i = 0; i < y.length; i++) y[i] = (float) r.nextDouble() + 1;
        float[] idx = Network.lastStepRows(B, T, len, true);
        try (Backend be = new VectorBackend(1); Tensor ty = be.allocate(y.length); Tensor ti = be.allocate(idx.length);
             Tensor last = be.allocate(B * 2 * H); Tensor back = be.allocate(y.length)) {
            be.write(y, 0, ty, y.length);
            be.write(idx, 0, ti, idx.length);
            be.gatherRows(2 * B, H, ty, ti, last);
            float[] got = new float[B * 2 * H];
            be.read(last, got, 0, got.length);
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    assertEquals(y[(b * T + len[b] - 1) * 2 * H + h], got[b * 2 * H + h], "forward half of sample " + b);
                    assertEquals(y[b * T * 2 * H + H + h], got[b * 2 * H + H + h], "reverse half of sample " + b);
                }
            }
            be.fill(back, 0f);
            be.scatterRows(2 * B, H, last, ti, back);
            float[] d = new float[y.length];
            be.read(back, d, 0, d.length);
            int nonZero = 0;
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    for (int k = 0; k < 2 * H; k++) {
                        int i = (b * T + t) * 2 * H + k;
                        boolean picked = k < H ? t == len[b] - 1 : t == 0;
                        assertEquals(picked ? y[i] : 0f, d[i], "gradient at sample " + b + " step " + t + " feature " + k);
                        if (d[i] != 0) nonZero++;
                    }
                }
            }
            assertEquals(B * 2 * H, nonZero);
        }
    }

    @Test
    void bidirectionalConcatLayersRunAsOneStackSumLayersAlone() {
        Sequential m = Sequential.builder().input(5, 3)
                .add(new Bidirectional(new LSTM(4, Activation.TANH, true)))
                .add(new Bidirectional(new LSTM(4, Activation.TANH, true)))
                .add(new Bidirectional(new LSTM(4, Activation.TANH, true), Merge.SUM))
                .add(new LSTM(4, Activation.TANH, true)).add(new LSTM(4)).build();
        assertEquals(2, Network.stackLength(m, 0));
        assertEquals(1, Network.stackLength(m, 2));
        assertEquals(2, Network.stackLength(m, 3), "unidirectional layers after a bidirectional one");
    }

    @Test
    void bucketingVisitsEverySampleOnceInBatchesOfSimilarLength() {
        int n = 103, bs = 8, T = 20;
        SplittableRandom r = new SplittableRandom(1);
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) lengths[i] = 1 + r.nextInt(T);
        int[] order = shuffled(n, 5);
        int[] sizes = Trainer.bucket(order, lengths, bs, new SplittableRandom(77));
        assertEquals(13, sizes.length);
        assertEquals(n, Arrays.stream(sizes).sum());
        assertEquals(1, Arrays.stream(sizes).filter(s -> s != bs).count(), "one short batch: " + Arrays.toString(sizes));
        Set<Integer> seen = new HashSet<>();
        for (int i : order) assertTrue(seen.add(i), "sample " + i + " twice");
        assertEquals(n, seen.size());
        // homogeneous: the batches, sorted by their shortest sample, do not overlap in length
        int[][] ranges = new int[sizes.length][];
        int start = 0;
        for (int b = 0; b < sizes.length; b++) {
            int min = Integer.MAX_VALUE, max = 0;
            for (int i = start; i < start + sizes[b]; i++) {
                min = Math.min(min, lengths[order[i]]);
                max = Math.max(max, lengths[order[i]]);
            }
            ranges[b] = new int[] {min, max};
            start += sizes[b];
        }
        int[][] sorted = ranges.clone();
        Arrays.sort(sorted, (a, b) -> a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]));
        for (int b = 1; b < sorted.length; b++) {
            assertTrue(sorted[b - 1][1] <= sorted[b][0], "batches overlap: " + Arrays.deepToString(sorted));
        }
        // the batches' order is shuffled: not sorted by length
        boolean ascending = true;
        for (int b = 1; b < ranges.length; b++) ascending &= ranges[b - 1][0] <= ranges[b][0];
        assertTrue(!ascending, Arrays.deepToString(ranges));
        // deterministic for a seed, another seed another order
        int[] again = shuffled(n, 5);
        assertArrayEquals(sizes, Trainer.bucket(again, lengths, bs, new SplittableRandom(77)));
        assertArrayEquals(order, again);
        int[] other = shuffled(n, 5);
        Trainer.bucket(other, lengths, bs, new SplittableRandom(78));
        assertNotEquals(Arrays.toString(order), Arrays.toString(other));
    }

    @Test
    void bucketingFixedLengthDataOnlyRegroupsTheBatches() {
        int[] order = shuffled(50, 2), before = order.clone();
        int[] sizes = Trainer.bucket(order, null, 16, null);
        assertArrayEquals(new int[] {16, 16, 16, 2}, sizes);
        assertArrayEquals(before, order, "no lengths, no shuffle of batches: the order stays");
        int[] pool = shuffled(16 * Trainer.BUCKET_POOL + 40, 4);
        int[] lengths = new int[pool.length];
        for (int i = 0; i < lengths.length; i++) lengths[i] = 1 + i % 7;
        Trainer.bucket(pool, lengths, 16, null);
        // without shuffling, the first pool comes sorted, then the second
        for (int i = 1; i < 16 * Trainer.BUCKET_POOL; i++) assertTrue(lengths[pool[i - 1]] <= lengths[pool[i]]);
    }

    private static int[] shuffled(int n, long seed) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    /** Runs {@code m} forward (training) and backward with {@code dOut}; returns {output, gradients}. */
    private static float[][] pass(Backend be, Sequential m, float[] p, float[] x, int[] len, float[] dOut) {
        int batch = len.length;
        try (Network n = new Network(m, be, batch); Tensor X = be.allocate(x.length); Tensor D = be.allocate(dOut.length)) {
            n.setParameters(p);
            be.fill(n.grads(), 0f);
            be.write(x, 0, X, x.length);
            be.write(dOut, 0, D, dOut.length);
            float[] out = new float[dOut.length], g = new float[p.length];
            be.read(n.forward(batch, X, len, true, 7, 1), out, 0, out.length);
            n.backward(batch, D);
            be.read(n.grads(), g, 0, g.length);
            return new float[][] {out, g};
        }
    }

    /** A bidirectional CONCAT stack (one op) gives what its layers give one by one (split by a rate-0 Dropout). */
    @Test
    void aBidirectionalStackGivesWhatItsLayersGiveOneByOne() {
        int B = 4, T = 6, F = 3;
        int[] len = {6, 2, 5, 1};
        Sequential[] models = new Sequential[2];
        for (int k = 0; k < 2; k++) {
            Sequential.Builder b = Sequential.builder().input(T, F).add(new Bidirectional(new GRU(5, Activation.TANH, true)));
            if (k == 1) b.add(new Dropout(0.0));
            models[k] = b.add(new Bidirectional(new GRU(5))).build();
        }
        assertEquals(2, Network.stackLength(models[0], 0));
        SplittableRandom r = new SplittableRandom(12);
        float[] p = new float[models[0].paramCount()], x = new float[B * T * F], d = new float[B * 10];
        for (float[] a : List.of(p, x, d)) for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
        for (Backend be : new Backend[] {new ReferenceBackend(), new VectorBackend(2)}) {
            float[][] stacked = pass(be, models[0], p, x, len, d), split = pass(be, models[1], p, x, len, d);
            assertArrayEquals(split[0], stacked[0], 1e-6f, be.name() + ": outputs");
            assertArrayEquals(split[1], stacked[1], 1e-5f, be.name() + ": gradients");
        }
    }

    /**
     * The network's gradients with lengths, a SUM merge, the gathered last steps of a bidirectional
     * layer and dropout on sequences match central finite differences of {@code sum(out * dOut)}.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        int B = 3, T = 5, F = 2;
        int[] len = {5, 2, 3};
        Sequential m = Sequential.builder().input(T, F)
                .add(new Bidirectional(new LSTM(3, Activation.TANH, true), Merge.SUM))
                .add(new Dropout(0.0))
                .add(new Bidirectional(new GRU(3)))
                .add(new Dense(2)).build();
        SplittableRandom r = new SplittableRandom(21);
        float[] p = new float[m.paramCount()], x = new float[B * T * F], d = new float[B * 2];
        for (float[] a : List.of(p, x, d)) for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
        Backend be = new ReferenceBackend();
        float[] g = pass(be, m, p, x, len, d)[1];
        double eps = 1e-2, worst = 0;
        for (int i = 0; i < p.length; i++) {
            float keep = p[i];
            p[i] = (float) (keep + eps);
            double up = dot(pass(be, m, p, x, len, d)[0], d);
            p[i] = (float) (keep - eps);
            double down = dot(pass(be, m, p, x, len, d)[0], d);
            p[i] = keep;
            double numeric = (up - down) / (2 * eps);
            worst = Math.max(worst, Math.abs(numeric - g[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(g[i])));
            assertEquals(numeric, g[i], 2e-3 + 2e-2 * Math.abs(numeric), "parameter " + i + " of " + p.length);
        }
        assertTrue(worst < 0.05, "worst relative error " + worst);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    @Test
    void trainerFindsLengthsInTheDataAndTheMask() {
        int T = 4, F = 1;
        float[] x = {1, 1, 0, 0,   1, 0, 0, 0,   1, 1, 1, 1};
        Dataset d = new Dataset("d", x, new int[] {0, 1, 0}, T, F, 2);
        Sequential plain = Sequential.builder().input(T, F).add(new LSTM(2)).add(new Dense(2, Activation.SOFTMAX)).build();
        Sequential masked = Sequential.builder().input(T, F).add(new Masking()).add(new LSTM(2))
                .add(new Dense(2, Activation.SOFTMAX)).build();
        try (Backend be = new ReferenceBackend(); Trainer p = new Trainer(plain, be, TrainConfig.defaults());
             Trainer m = new Trainer(masked, be, TrainConfig.defaults())) {
            assertEquals(null, p.sampleLengths(d), "fixed length: no lengths, the fixed-length path");
            assertArrayEquals(new int[] {3, 1, 4}, p.sampleLengths(d.withLengths(new int[] {3, 1, 4})));
            assertArrayEquals(new int[] {2, 1, 4}, m.sampleLengths(d));
            assertArrayEquals(new int[] {1, 1, 3}, m.sampleLengths(d.withLengths(new int[] {1, 4, 3})), "the shorter counts");
            assertEquals(null, m.sampleLengths(new Dataset("full", new float[] {1, 1, 1, 2}, new int[] {0}, T, F, 2)));
        }
    }

    @Test
    void networkRejectsBadLengths() {
        Sequential m = Sequential.builder().input(3, 2).add(new LSTM(2)).add(new Dense(2, Activation.SOFTMAX)).build();
        try (Backend be = new ReferenceBackend(); Network net = new Network(m, be, 2); Tensor x = be.allocate(12)) {
            var e = assertThrows(IllegalArgumentException.class, () -> net.forward(2, x, new int[] {1, 4}, false, 0, 0));
            assertTrue(e.getMessage().contains("length 4"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> net.forward(2, x, new int[] {1}, false, 0, 0));
        }
    }

    // ---- end to end: needs the backends' kernels for lengths and bidirectional layers -----------

    /**
     * A variable-length task: sequence i has {@code len_i} valid steps of one feature in [-1, 1]
     * and its class is whether their sum is positive; the padding holds values drawn as the data's
     * (zeros when {@code zeroPadding}), so a model that read it could not tell where the sum ends.
     */
    static Dataset signOfSum(int n, int steps, long seed, boolean zeroPadding) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * steps];
        int[] y = new int[n], len = new int[n];
        for (int i = 0; i < n; i++) {
            len[i] = 1 + r.nextInt(steps);
            double sum = 0;
            for (int t = 0; t < len[i]; t++) {
                float v = (float) (r.nextDouble() * 2 - 1);
                if (zeroPadding && v == 0) v = 0.5f;
                x[i * steps + t] = v;
                sum += v;
            }
            y[i] = sum > 0 ? 1 : 0;
            for (int t = len[i]; t < steps; t++) x[i * steps + t] = zeroPadding ? 0 : (float) (r.nextDouble() * 2 - 1);
        }
        return new Dataset("sign", x, y, steps, 1, 2, len);
    }

    private static Sequential classifier(int steps, Layer... layers) {
        Sequential.Builder b = Sequential.builder().input(steps, 1);
        for (Layer l : layers) b.add(l);
        return b.add(new Dense(2, Activation.SOFTMAX)).build();
    }

    private static void assertLearns(Sequential model, Dataset train, boolean bucketing) {
        TrainConfig cfg = TrainConfig.defaults().withBatchSize(32).withSeed(4).withLearningRate(1e-2f).withBucketing(bucketing);
        try (Backend be = new VectorBackend(2); Trainer t = new Trainer(model, be, cfg)) {
            List<EpochMetrics> h = t.fit(train, 12, null);
            double first = h.get(0).loss(), last = h.get(h.size() - 1).loss();
            Evaluation e = t.evaluate(heldOut(train));
            assertTrue(last < 0.6 * first, model.shortName() + ": loss " + first + " -> " + last);
            assertTrue(e.accuracy() > 0.85, model.shortName() + ": held-out accuracy " + e.accuracy());
        }
    }

    private static Dataset heldOut(Dataset train) {
        boolean zero = train.lengths() == null;
        Dataset d = signOfSum(256, train.steps(), 99, zero);
        return zero ? d.withLengths(null) : d;
    }

    @Test
    void aRecurrentModelLearnsFromSequencesOfDifferentLengths() {
        assertLearns(classifier(12, new LSTM(16)), signOfSum(640, 12, 1, false), false);
    }

    @Test
    void aBidirectionalModelLearnsWithBucketing() {
        assertLearns(classifier(12, new Bidirectional(new GRU(12))), signOfSum(640, 12, 2, false), true);
    }

    @Test
    void bucketedVariableLengthTrainingIsDeterministicForASeed() {
        Dataset d = signOfSum(200, 10, 6, false);
        float[][] runs = new float[3][];
        for (int k = 0; k < 3; k++) {
            TrainConfig cfg = TrainConfig.defaults().withBatchSize(16).withSeed(k == 2 ? 9 : 8).withBucketing(true);
            try (Backend be = new VectorBackend(2); Trainer t = new Trainer(classifier(10, new Bidirectional(new LSTM(6))), be, cfg)) {
                t.fit(d, 2, null);
                runs[k] = t.network().getParameters();
            }
        }
        assertArrayEquals(runs[0], runs[1], "same seed, same weights");
        assertNotEquals(Arrays.toString(runs[0]), Arrays.toString(runs[2]), "another seed");
    }

    @Test
    void batchByBatchCopiesCarryTheSameLengths() {
        Dataset d = signOfSum(90, 8, 13, false);
        float[][] w = new float[2][];
        Evaluation[] e = new Evaluation[2];
        for (int k = 0; k < 2; k++) {
            long limit = Trainer.residentLimit;
            if (k == 1) Trainer.residentLimit = 0;   // every dataset too large to keep: the staging path
            TrainConfig cfg = TrainConfig.defaults().withBatchSize(16).withSeed(3).withBucketing(true);
            try (Backend be = new VectorBackend(2); Trainer t = new Trainer(classifier(8, new GRU(5)), be, cfg)) {
                t.fit(d, 2, null);
                w[k] = t.network().getParameters();
                e[k] = t.evaluate(d);
            } finally {
                Trainer.residentLimit = limit;
            }
        }
        assertArrayEquals(w[0], w[1]);
        assertEquals(e[0].loss(), e[1].loss(), 0.0);
    }

    @Test
    void aMaskedModelLearnsFromZeroPadding() {
        assertLearns(classifier(12, new Masking(), new LSTM(16)), signOfSum(640, 12, 3, true).withLengths(null), false);
    }

    @ParameterizedTest
    @EnumSource(Merge.class)
    void predictionsDependNeitherOnPaddingNorOnBatchMates(Merge merge) {
        int T = 9;
        Sequential model = classifier(T, new Bidirectional(new LSTM(6, Activation.TANH, true), merge), new Dropout(0.3),
                new LSTM(5), new Dense(4, Activation.TANH));
        Dataset d = signOfSum(6, T, 8, false);
        try (Backend be = new VectorBackend(2); Trainer t = new Trainer(model, be, TrainConfig.defaults().withBatchSize(6))) {
            t.fit(d, 1, null);                                  // weights away from their initial values
            float[] all = t.predict(d.x(), d.lengths(), 6);
            float[] noisy = d.x().clone();
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < 6; i++) for (int s = d.length(i); s < T; s++) noisy[i * T + s] = (float) r.nextGaussian() * 10;
            assertArrayEquals(all, t.predict(noisy, d.lengths(), 6), 1e-6f, "padding contents changed a prediction");
            for (int i = 0; i < 6; i++) {
                float[] one = t.predict(Arrays.copyOfRange(noisy, i * T, (i + 1) * T), new int[] {d.length(i)}, 1);
                assertArrayEquals(Arrays.copyOfRange(all, i * 2, i * 2 + 2), one, 1e-6f, "sample " + i + " alone");
            }
        }
    }

    /**
     * Bidirectional layers give what their two directions give run one by one as unidirectional
     * layers: the forward one over steps [0, len), the reverse one over those steps reversed; with
     * returnSequences, y[t] = [fwd[t], rev[len-1-t]] and 0 past len; without, [fwd[len-1], rev[0]].
     */
    @ParameterizedTest
    @EnumSource(Merge.class)
    void bidirectionalOutputsAreTheDirectionsRunOneByOne(Merge merge) {
        int B = 3, T = 6, F = 2, H = 3;
        int[] len = {6, 2, 4};
        for (boolean seq : new boolean[] {true, false}) {
            Sequential model = Sequential.builder().input(T, F)
                    .add(new Bidirectional(new LSTM(H, Activation.TANH, seq), merge)).build();
            float[] p = Initializers.initialParameters(model, 11);
            SplittableRandom r = new SplittableRandom(2);
            float[] x = new float[B * T * F];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
            RnnSpec bi = ((Bidirectional) model.layers().get(0)).spec(F), one = bi.unidirectional();
            int W = merge == Merge.CONCAT ? 2 * H : H, out = seq ? T * W : W;
            float[] got = new float[B * out];
            try (Backend be = new ReferenceBackend(); Network net = new Network(model, be, B); Tensor tx = be.allocate(x.length)) {
                net.setParameters(p);
                be.write(x, 0, tx, x.length);
                be.read(net.forward(B, tx, len, false, 0, 0), got, 0, got.length);
                for (int b = 0; b < B; b++) {
                    int L = len[b];
                    float[] fwd = runOne(be, one, Arrays.copyOfRange(p, 0, one.paramCount()), x, b, T, L, false);
                    float[] rev = runOne(be, one, Arrays.copyOfRange(p, one.paramCount(), 2 * one.paramCount()), x, b, T, L, true);
                    float[] want = new float[out];
                    for (int t = 0; t < (seq ? L : 1); t++) {
                        int tf = seq ? t : L - 1, tr = seq ? L - 1 - t : L - 1;   // reverse run's step L-1-t is step t
                        for (int h = 0; h < H; h++) {
                            float f = fwd[tf * H + h], v = rev[tr * H + h];
                            if (merge == Merge.CONCAT) {
                                want[t * W + h] = f;
                                want[t * W + H + h] = v;
                            } else {
                                want[t * W + h] = f + v;
                            }
                        }
                    }
                    assertArrayEquals(want, Arrays.copyOfRange(got, b * out, (b + 1) * out), 1e-5f,
                            merge + (seq ? " sequences" : " last") + ", sample " + b + " of length " + L);
                }
            }
        }
    }

    /** One direction over sample b's valid steps (reversed when asked), unidirectional, no lengths: y (L, H). */
    private static float[] runOne(Backend be, RnnSpec one, float[] p, float[] x, int b, int T, int L, boolean reverse) {
        int F = one.inputSize(), H = one.units();
        float[] xs = new float[L * F];
        for (int t = 0; t < L; t++) System.arraycopy(x, (b * T + (reverse ? L - 1 - t : t)) * F, xs, t * F, F);
        try (Tensor tx = be.allocate(xs.length); Tensor tp = be.allocate(p.length); Tensor ty = be.allocate(L * H)) {
            be.write(xs, 0, tx, xs.length);
            be.write(p, 0, tp, p.length);
            be.rnnInfer(one, 1, L, tx, RnnState.NONE, tp, ty, RnnState.NONE);
            float[] y = new float[L * H];
            be.read(ty, y, 0, y.length);
            return y;
        }
    }
}
