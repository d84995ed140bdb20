package dev.jrnn.cuda;

import static dev.jrnn.cuda.GpuSupport.assertClose;
import static dev.jrnn.cuda.GpuSupport.get;
import static dev.jrnn.cuda.GpuSupport.put;
import static dev.jrnn.cuda.GpuSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Tensor;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.cpu.VectorBackend;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every non-recurrent op of {@link CudaBackend} against {@link ReferenceBackend} on random inputs.
 * Outputs an op overwrites are filled with NaN first, so an element it does not write fails.
 * Dropout is compared bit for bit with both CPU backends, Adam bit for bit with VectorBackend.
 *
 * <p>Tolerances ({@code abs + rel * |expected|}): GEMM 1e-5 + 1e-5 per 100 of k relative;
 * element-wise ops, softmax and loss 1e-6 + 1e-5 (the device's tanhf/expf are within 2 ulp).
 */
@Tag("gpu")
class CudaOpsParityTest {
    private static CudaBackend cuda;
    private final ReferenceBackend ref = new ReferenceBackend();

    @BeforeAll
    static void open() {
        GpuSupport.requireDevice();
        cuda = CudaBackend.create();
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    private static SplittableRandom rng(String name) {
        return new SplittableRandom(0x67707521L ^ name.hashCode());
    }

    private Tensor poisoned(int n) {
        Tensor t = cuda.allocate(n);
        cuda.fill(t, Float.NaN);
        return t;
    }

    @Test
    void memoryRoundTripsThroughSlicesAndStartsZeroed() {
        Tensor t = cuda.allocate(1000);
        assertArrayEquals(new float[1000], get(cuda, t));
        float[] v = uniform(rng("mem"), 300, 5);
        float[] src = new float[310];
        System.arraycopy(v, 0, src, 7, 300);
        cuda.write(src, 7, t.slice(100, 300), 300);
        float[] back = new float[305];
        cuda.read(t.slice(100, 300), back, 5, 300);
        for (int i = 0; i < 300; i++) assertEquals(v[i], back[5 + i]);
        float[] all = get(cuda, t);
        assertEquals(0f, all[99]);
        assertEquals(0f, all[400]);
        cuda.fill(t.slice(10, 5), 2.5f);
        all = get(cuda, t);
        assertEquals(0f, all[9]);
        assertEquals(2.5f, all[14]);
        assertEquals(0f, all[15]);
        assertThrows(IllegalArgumentException.class, () -> cuda.write(new float[10], 0, t.slice(0, 5), 10));
        assertThrows(IllegalArgumentException.class, () -> cuda.gemm(false, false, 10, 10, 10, 1f, t, t, 0f, ref.allocate(100)));
        Tensor closed = cuda.allocate(4);
        closed.close();
        assertThrows(IllegalStateException.class, () -> cuda.fill(closed, 1f));
    }

    @Test
    void eventsTimeQueuedWork() {
        Tensor t = cuda.allocate(1 << 20);
        float ms = cuda.timeMillis(() -> {
            for (int i = 0; i < 10; i++) cuda.fill(t, i);
        });
        // NB: positive on a GPU and on the fake device, whose events read a clock the queued work advances
        assertTrue(ms > 0 && Float.isFinite(ms), "elapsed " + ms);
        assertEquals(9f, get(cuda, t)[12345]);
    }

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
    @CsvSource({"false,false,7,5,3", "true,false,7,5,3", "false,true,7,5,3", "true,true,7,5,3",
            "false,true,256,64,28", "true,false,64,28,256", "false,false,256,28,64", "false,true,1,10,64"})
    void gemmMatchesTheReference(boolean ta, boolean tb, int m, int n, int k) {
        SplittableRandom r = rng("gemm" + ta + tb + m + n + k);
        float[] a = uniform(r, m * k, 1), b = uniform(r, k * n, 1), c = uniform(r, m * n, 1);
        for (float beta : new float[] {0f, 0.5f}) {
            Tensor C = beta == 0 ? poisoned(m * n) : put(cuda, c);
            cuda.gemm(ta, tb, m, n, k, 1.5f, put(cuda, a), put(cuda, b), beta, C);
            Tensor rc = put(ref, c);
            ref.gemm(ta, tb, m, n, k, 1.5f, put(ref, a), put(ref, b), beta, rc);
            assertClose(ReferenceBackend.toArray(rc), get(cuda, C), 1e-5, 1e-5 * (1 + k / 100.0), "gemm beta " + beta);
        }
    }

    @Test
    void elementWiseOpsMatchTheReference() {
        SplittableRandom r = rng("ew");
        int rows = 67, cols = 33;
        for (Activation act : new Activation[] {Activation.LINEAR, Activation.RELU, Activation.TANH, Activation.SIGMOID}) {
            float[] y = uniform(r, rows * cols, 3), b = uniform(r, cols, 1), dy = uniform(r, rows * cols, 2);
            Tensor Y = put(cuda, y);
            cuda.biasActivation(rows, cols, Y, put(cuda, b), act);
            Tensor RY = put(ref, y);
            ref.biasActivation(rows, cols, RY, put(ref, b), act);
            assertClose(ReferenceBackend.toArray(RY), get(cuda, Y), 1e-6, 1e-5, "biasActivation " + act);
            Tensor DY = put(cuda, dy), RDY = put(ref, dy);
            float[] out = get(cuda, Y);
            cuda.activationBackward(rows * cols, act, Y, DY);
            ref.activationBackward(rows * cols, act, put(ref, out), RDY);
            assertClose(ReferenceBackend.toArray(RDY), get(cuda, DY), 1e-6, 1e-5, "activationBackward " + act);
        }
        float[] dy = uniform(r, rows * cols, 1), db = uniform(r, cols, 1);
        Tensor DB = put(cuda, db), RDB = put(ref, db);
        cuda.biasGradient(rows, cols, put(cuda, dy), DB);
        ref.biasGradient(rows, cols, put(ref, dy), RDB);
        assertClose(ReferenceBackend.toArray(RDB), get(cuda, DB), 1e-5, 1e-5, "biasGradient (accumulating)");
    }

    @Test
    void lastStepGathersAndScattersEveryElement() {
        int batch = 9, steps = 28, width = 32;
        float[] seq = uniform(rng("last"), batch * steps * width, 1), dOut = uniform(rng("dlast"), batch * width, 1);
        Tensor out = poisoned(batch * width), dSeq = poisoned(batch * steps * width);
        cuda.lastStep(batch, steps, width, put(cuda, seq), out);
        cuda.lastStepBackward(batch, steps, width, put(cuda, dOut), dSeq);
        Tensor rOut = ref.allocate(batch * width), rSeq = ref.allocate(batch * steps * width);
        ref.lastStep(batch, steps, width, put(ref, seq), rOut);
        ref.lastStepBackward(batch, steps, width, put(ref, dOut), rSeq);
        assertClose(ReferenceBackend.toArray(rOut), get(cuda, out), 0, 0, "lastStep");
        assertClose(ReferenceBackend.toArray(rSeq), get(cuda, dSeq), 0, 0, "lastStepBackward");
    }

    @Test
    void gatherRowsCopiesTheIndexedRowsExactly() {
        int n = 50, width = 28 * 28, rows = 37;
        float[] src = uniform(rng("gather"), n * width, 1);
        float[] index = new float[rows];
        SplittableRandom r = rng("gidx");
        for (int i = 0; i < rows; i++) index[i] = r.nextInt(n);
        Tensor out = poisoned(rows * width), lab = poisoned(rows);
        Tensor cIndex = put(cuda, index);
        cuda.gatherRows(rows, width, put(cuda, src), cIndex, out);
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) labels[i] = i % 10;
        cuda.gatherRows(rows, 1, put(cuda, labels), cIndex, lab);
        Tensor rOut = ref.allocate(rows * width), rLab = ref.allocate(rows);
        ref.gatherRows(rows, width, put(ref, src), put(ref, index), rOut);
        ref.gatherRows(rows, 1, put(ref, labels), put(ref, index), rLab);
        assertClose(ReferenceBackend.toArray(rOut), get(cuda, out), 0, 0, "gatherRows");
        assertClose(ReferenceBackend.toArray(rLab), get(cuda, lab), 0, 0, "gatherRows labels");
    }

    @Test
    void scatterRowsWritesTheIndexedRowsExactlyAndKeepsTheOthers() {
        int n = 40, width = 33, rows = 17;
        float[] src = uniform(rng("scatter"), rows * width, 1), base = uniform(rng("scatterBase"), n * width, 1);
        float[] index = new float[rows];
        for (int i = 0; i < rows; i++) index[i] = (i * 7 + 3) % n;   // distinct
        Tensor out = put(cuda, base);
        cuda.scatterRows(rows, width, put(cuda, src), put(cuda, index), out);
        Tensor rOut = put(ref, base);
        ref.scatterRows(rows, width, put(ref, src), put(ref, index), rOut);
        assertClose(ReferenceBackend.toArray(rOut), get(cuda, out), 0, 0, "scatterRows");
    }

    @Test
    void dropoutMatchesBothCpuBackendsBitForBit() {
        try (VectorBackend vec = new VectorBackend(2)) {
            for (int n : new int[] {1, 5, 256 * 64, 256 * 32 + 3}) {
                float[] x = uniform(rng("drop" + n), n, 2);
                Tensor out = poisoned(n);
                cuda.dropout(42L, 1_000_000_007L, 3, 0.2f, n, put(cuda, x), out);
                float[] got = get(cuda, out);
                Tensor rv = ref.allocate(n), vv = vec.allocate(n);
                ref.dropout(42L, 1_000_000_007L, 3, 0.2f, n, put(ref, x), rv);
                vec.dropout(42L, 1_000_000_007L, 3, 0.2f, n, put(vec, x), vv);
                float[] want = get(ref, rv), wantVec = get(vec, vv);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "reference, element " + i);
                    assertEquals(Float.floatToRawIntBits(wantVec[i]), Float.floatToRawIntBits(got[i]), "vector, element " + i);
                }
            }
        }
    }

    @Test
    void softmaxAndFusedLossMatchTheReference() {
        SplittableRandom r = rng("softmax");
        int batch = 1000, classes = 10;
        float[] logits = uniform(r, batch * classes, 6), labels = new float[batch];
        for (int b = 0; b < batch; b++) labels[b] = r.nextInt(classes);
        Tensor probs = poisoned(batch * classes), rProbs = ref.allocate(batch * classes);
        cuda.softmax(batch, classes, put(cuda, logits), probs);
        ref.softmax(batch, classes, put(ref, logits), rProbs);
        assertClose(ReferenceBackend.toArray(rProbs), get(cuda, probs), 1e-7, 1e-5, "softmax");

        Tensor d = poisoned(batch * classes), stats = put(cuda, new float[] {3f, 4f});
        Tensor rd = ref.allocate(batch * classes), rStats = put(ref, new float[] {3f, 4f});
        cuda.softmaxCrossEntropy(batch, classes, put(cuda, logits), put(cuda, labels), 1f / batch, d, stats);
        ref.softmaxCrossEntropy(batch, classes, put(ref, logits), put(ref, labels), 1f / batch, rd, rStats);
        assertClose(ReferenceBackend.toArray(rd), get(cuda, d), 1e-8, 1e-5, "dLogits");
        assertClose(ReferenceBackend.toArray(rStats), get(cuda, stats), 1e-3, 1e-6, "stats (accumulated)");
        cuda.softmaxCrossEntropy(batch, classes, put(cuda, logits), put(cuda, labels), 1f, null, stats);
        ref.softmaxCrossEntropy(batch, classes, put(ref, logits), put(ref, labels), 1f, null, rStats);
        assertClose(ReferenceBackend.toArray(rStats), get(cuda, stats), 1e-3, 1e-6, "stats without dLogits");
    }

    @Test
    void adamMatchesVectorBackendBitForBit() {
        SplittableRandom r = rng("adam");
        int n = 10_570;
        float[] p = uniform(r, n, 1), g = uniform(r, n, 0.1), m = uniform(r, n, 0.01), v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 1e-3);
        Tensor P = put(cuda, p), G = put(cuda, g), M = put(cuda, m), V = put(cuda, v);
        try (VectorBackend vec = new VectorBackend(2)) {
            Tensor vp = put(vec, p), vg = put(vec, g), vm = put(vec, m), vv = put(vec, v);
            for (long t = 1; t <= 3; t++) {
                cuda.adam(n, P, G, M, V, 1e-3f, 0.9f, 0.999f, 1e-7f, t);
                vec.adam(n, vp, vg, vm, vv, 1e-3f, 0.9f, 0.999f, 1e-7f, t);
            }
            float[] gotP = get(cuda, P), wantP = get(vec, vp), gotV = get(cuda, V), wantV = get(vec, vv);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(wantP[i]), Float.floatToRawIntBits(gotP[i]), "p[" + i + "]");
                assertEquals(Float.floatToRawIntBits(wantV[i]), Float.floatToRawIntBits(gotV[i]), "v[" + i + "]");
            }
        }
        assertTrue(cuda.description().startsWith("cuda ("), cuda.description());
        float[] moved = get(cuda, P);
        int changed = 0;
        for (int i = 0; i < n; i++) if (moved[i] != p[i]) changed++;
        assertTrue(changed > n * 0.99, "Adam moved " + changed + " of " + n + " parameters");
    }
}
