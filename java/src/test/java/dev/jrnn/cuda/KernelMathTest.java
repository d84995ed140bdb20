package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Philox;
import dev.jrnn.backend.Tensor;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.cpu.VectorBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kernel bodies of native/*.cu, compiled for the host (native/tools/kernel_math_check.cpp),
 * against the reference backend on random inputs: Philox words, dropout and Adam bit for bit
 * (also against VectorBackend), the element-wise ops, softmax and the fused loss within float
 * tolerance. Outputs the kernels write are poisoned with NaN first, so a skipped element fails.
 * Runs where the build had nvcc (the same CMake build makes the program); skipped loudly elsewhere.
 */
class KernelMathTest {
    private static Path program;
    private static VectorBackend vector;
    private final ReferenceBackend ref = new ReferenceBackend();

    /** JRNN_ACT_<NAME> of native/common.cuh: the code the kernels take for {@code a}. */
    private static int code(Activation a) throws IOException {
        String h = java.nio.file.Files.readString(NativeBuild.sources().resolve("common.cuh"));
        var m = java.util.regex.Pattern.compile("#define JRNN_ACT_" + a.name() + " (\\d+)").matcher(h);
        assertTrue(m.find(), "JRNN_ACT_" + a.name());
        return Integer.parseInt(m.group(1));
    }

    @BeforeAll
    static void findProgram() {
        program = NativeBuild.kernelMathCheck();
        if (program == null) {
            if (NativeBuild.kernelsBuilt()) throw new AssertionError("the build made kernels but no kernel_math_check");
            System.out.println("SKIPPED: no kernel_math_check (built without nvcc/CMake)");
            Assumptions.abort("no kernel_math_check");
        }
        vector = new VectorBackend(1);
    }

    @AfterAll
    static void close() {
        if (vector != null) vector.close();
    }

    // ---- talking to the program --------------------------------------------------------------

    private static String hex(float f) {
        return String.format("%08x", Float.floatToRawIntBits(f));
    }

    private static String hex(double d) {
        return String.format("%016x", Double.doubleToRawLongBits(d));
    }

    private static final class Input {
        final StringBuilder sb = new StringBuilder();

        Input op(String name, Object... ints) {
            sb.append(name);
            for (Object o : ints) sb.append(' ').append(o);
            return this;
        }

        Input f(float... values) {
            for (float v : values) sb.append(' ').append(hex(v));
            return this;
        }

        Input d(double v) {
            sb.append(' ').append(hex(v));
            return this;
        }

        Input end() {
            sb.append('\n');
            return this;
        }
    }

    /** Runs the program on {@code in}; one array of raw 32-bit words per op. */
    private static List<int[]> run(Input in) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
        p.getOutputStream().write(in.sb.toString().getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<int[]> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] tok = line.trim().isEmpty() ? new String[0] : line.trim().split("\\s+");
            int[] w = new int[tok.length];
            for (int i = 0; i < tok.length; i++) w[i] = Integer.parseUnsignedInt(tok[i], 16);
            lines.add(w);
        }
        return lines;
    }

    private static float[] floats(int[] words, int from, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = Float.intBitsToFloat(words[from + i]);
        return f;
    }

    private static float[] uniform(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static Tensor put(Backend be, float[] v) {
        Tensor t = be.allocate(v.length);
        be.write(v, 0, t, v.length);
        return t;
    }

    private static float[] get(Backend be, Tensor t) {
        float[] out = new float[t.size()];
        be.read(t, out, 0, out.length);
        return out;
    }

    private static void close(double[] expected, float[] actual, double abs, double rel, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = abs + rel * Math.abs(expected[i]);
            assertTrue(Math.abs(actual[i] - expected[i]) <= tol, what + "[" + i + "]: expected " + expected[i]
                    + ", found " + actual[i]);
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    // ---- the ops -----------------------------------------------------------------------------

    @Test
    void philoxWordsMatchTheJavaGeneratorBitForBit() throws Exception {
        long[][] cases = {{0, 0, 0}, {42, 1, 3}, {-1L, -1L, 7}, {0x1234_5678_9abc_def0L, 0x0000_0002_0000_0007L, 3},
                {Long.MIN_VALUE, 123_456_789_012L, 65535}};
        Input in = new Input();
        for (long[] c : cases) in.op("philox", Long.toUnsignedString(c[0]), Long.toUnsignedString(c[1]), c[2], 37).end();
        List<int[]> out = run(in);
        for (int k = 0; k < cases.length; k++) {
            for (int i = 0; i < 37; i++) {
                assertEquals(Philox.word(cases[k][0], cases[k][1], (int) cases[k][2], i), out.get(k)[i],
                        "seed " + cases[k][0] + " step " + cases[k][1] + " salt " + cases[k][2] + " element " + i);
            }
        }
    }

    @Test
    void dropoutMatchesBothCpuBackendsBitForBit() throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        int[] sizes = {1, 4, 7, 1000, 4099};
        float[] rates = {0.2f, 0.5f, 0.0f, 0.9f, 0.2f};
        Input in = new Input();
        List<float[]> inputs = new ArrayList<>();
        for (int k = 0; k < sizes.length; k++) {
            float[] x = uniform(r, sizes[k], 3);
            inputs.add(x);
            in.op("dropout", sizes[k], 1234 + k, 77 + k, k).f(rates[k]).d(1.0 / (1.0 - rates[k])).f(x).end();
        }
        List<int[]> out = run(in);
        for (int k = 0; k < sizes.length; k++) {
            float[] got = floats(out.get(k), 0, sizes[k]);
            for (Backend be : new Backend[] {ref, vector}) {
                Tensor x = put(be, inputs.get(k)), y = be.allocate(sizes[k]);
                be.dropout(1234 + k, 77 + k, k, rates[k], sizes[k], x, y);
                float[] want = get(be, y);
                for (int i = 0; i < sizes[k]; i++) {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                            be.name() + " case " + k + " element " + i + ": " + want[i] + " vs " + got[i]);
                }
            }
        }
    }

    @Test
    void adamMatchesVectorBackendBitForBitAndTheReferenceClosely() throws Exception {
        SplittableRandom r = new SplittableRandom(12);
        int n = 1037;
        float[] p = uniform(r, n, 1), g = uniform(r, n, 0.1), m = uniform(r, n, 0.01), v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 1e-3);
        float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
        long t = 5;
        float alpha = (float) (lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t)));
        List<int[]> out = run(new Input().op("adam", n).f(alpha, b1, b2, 1f - b1, 1f - b2, eps).f(p).f(g).f(m).f(v).end());
        float[] gotP = floats(out.get(0), 0, n), gotM = floats(out.get(0), n, n), gotV = floats(out.get(0), 2 * n, n);
        Tensor P = put(vector, p), G = put(vector, g), M = put(vector, m), V = put(vector, v);
        vector.adam(n, P, G, M, V, lr, b1, b2, eps, t);
        float[] wantP = get(vector, P), wantM = get(vector, M), wantV = get(vector, V);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(wantM[i]), Float.floatToRawIntBits(gotM[i]), "m[" + i + "]");
            assertEquals(Float.floatToRawIntBits(wantV[i]), Float.floatToRawIntBits(gotV[i]), "v[" + i + "]");
            assertEquals(Float.floatToRawIntBits(wantP[i]), Float.floatToRawIntBits(gotP[i]), "p[" + i + "]");
        }
        Tensor rp = put(ref, p), rg = put(ref, g), rm = put(ref, m), rv = put(ref, v);
        ref.adam(n, rp, rg, rm, rv, lr, b1, b2, eps, t);
        close(ReferenceBackend.toArray(rp), gotP, 1e-7, 1e-6, "p vs reference");
    }

    @Test
    void elementWiseOpsMatchTheReference() throws Exception {
        SplittableRandom r = new SplittableRandom(13);
        int rows = 37, cols = 19, batch = 5, steps = 7, width = 11;
        Activation[] acts = {Activation.LINEAR, Activation.RELU, Activation.TANH, Activation.SIGMOID};
        Input in = new Input();
        List<float[]> ys = new ArrayList<>(), biases = new ArrayList<>(), dys = new ArrayList<>();
        for (Activation a : acts) {
            float[] y = uniform(r, rows * cols, 3), b = uniform(r, cols, 1);
            ys.add(y);
            biases.add(b);
            in.op("bias_activation", rows, cols, code(a)).f(y).f(b).end();
        }
        for (Activation a : acts) {
            float[] y = uniform(r, rows * cols, 0.99), dy = uniform(r, rows * cols, 2);
            if (a == Activation.RELU) for (int i = 0; i < y.length; i++) y[i] = Math.abs(y[i]) * (i % 3 == 0 ? 0 : 1);
            ys.add(y);
            dys.add(dy);
            in.op("activation_backward", rows * cols, code(a)).f(y).f(dy).end();
        }
        float[] gdy = uniform(r, rows * cols, 2), gdb = uniform(r, cols, 1);
        in.op("bias_gradient", rows, cols).f(gdy).f(gdb).end();
        float[] seq = uniform(r, batch * steps * width, 1), dOut = uniform(r, batch * width, 1);
        in.op("last_step", batch, steps, width).f(seq).end();
        in.op("last_step_backward", batch, steps, width).f(dOut).end();
        List<int[]> out = run(in);
        int line = 0;
        for (int k = 0; k < acts.length; k++) {
            Tensor y = put(ref, ys.get(k));
            ref.biasActivation(rows, cols, y, put(ref, biases.get(k)), acts[k]);
            close(ReferenceBackend.toArray(y), floats(out.get(line++), 0, rows * cols), 1e-6, 1e-6, "bias+" + acts[k]);
        }
        for (int k = 0; k < acts.length; k++) {
            Tensor dy = put(ref, dys.get(k));
            ref.activationBackward(rows * cols, acts[k], put(ref, ys.get(acts.length + k)), dy);
            close(ReferenceBackend.toArray(dy), floats(out.get(line++), 0, rows * cols), 1e-6, 1e-6, "backward " + acts[k]);
        }
        Tensor db = put(ref, gdb);
        ref.biasGradient(rows, cols, put(ref, gdy), db);
        close(ReferenceBackend.toArray(db), floats(out.get(line++), 0, cols), 1e-6, 1e-6, "biasGradient");
        Tensor last = ref.allocate(batch * width);
        ref.lastStep(batch, steps, width, put(ref, seq), last);
        close(ReferenceBackend.toArray(last), floats(out.get(line++), 0, batch * width), 0, 0, "lastStep");
        Tensor dSeq = ref.allocate(batch * steps * width);
        ref.fill(dSeq, Float.NaN);
        ref.lastStepBackward(batch, steps, width, put(ref, dOut), dSeq);
        close(ReferenceBackend.toArray(dSeq), floats(out.get(line), 0, batch * steps * width), 0, 0, "lastStepBackward");
    }

    @Test
    void swapMajorTransposesTheOuterDimensionsBothWays() throws Exception {
        SplittableRandom r = new SplittableRandom(21);
        int[][] shapes = {{7, 28, 28}, {1, 5, 3}, {256, 3, 1}, {3, 1, 9}};
        Input in = new Input();
        List<float[]> inputs = new ArrayList<>();
        for (int[] s : shapes) {
            float[] x = uniform(r, s[0] * s[1] * s[2], 1);
            inputs.add(x);
            in.op("swap_major", s[0], s[1], s[2]).f(x).end();
        }
        List<int[]> out = run(in);
        for (int k = 0; k < shapes.length; k++) {
            int a = shapes[k][0], b = shapes[k][1], w = shapes[k][2];
            float[] x = inputs.get(k), got = floats(out.get(k), 0, a * b * w);
            for (int i = 0; i < a; i++) {
                for (int j = 0; j < b; j++) {
                    for (int c = 0; c < w; c++) {
                        // (B, T, W) element (i, j, c) is (T, B, W) element (j, i, c)
                        assertEquals(x[(i * b + j) * w + c], got[(j * a + i) * w + c], "swap_major " + a + "x" + b + "x" + w
                                + " at (" + i + ", " + j + ", " + c + ")");
                    }
                }
            }
        }
    }

    @Test
    void softmaxAndFusedLossMatchTheReference() throws Exception {
        SplittableRandom r = new SplittableRandom(14);
        int batch = 300, classes = 10;
        float[] logits = uniform(r, batch * classes, 8), labels = new float[batch];
        for (int b = 0; b < batch; b++) labels[b] = r.nextInt(classes);
        float[] stats = {1.5f, 2f};
        Input in = new Input();
        in.op("softmax", batch, classes).f(logits).end();
        in.op("softmax_xent", batch, classes).f(1f / batch).op("", 1).f(logits).f(labels).f(stats).end();
        in.op("softmax_xent", batch, classes).f(1f).op("", 0).f(logits).f(labels).f(stats).end();
        float[] bad = labels.clone();
        bad[3] = 2.5f;
        in.op("softmax_xent", batch, classes).f(1f).op("", 1).f(logits).f(bad).f(0f, 0f).end();
        List<int[]> out = run(in);

        Tensor probs = ref.allocate(batch * classes);
        ref.softmax(batch, classes, put(ref, logits), probs);
        close(ReferenceBackend.toArray(probs), floats(out.get(0), 0, batch * classes), 1e-7, 1e-6, "softmax");

        Tensor d = ref.allocate(batch * classes), st = put(ref, stats);
        ref.softmaxCrossEntropy(batch, classes, put(ref, logits), put(ref, labels), 1f / batch, d, st);
        close(ReferenceBackend.toArray(d), floats(out.get(1), 0, batch * classes), 1e-8, 1e-6, "dLogits");
        close(ReferenceBackend.toArray(st), floats(out.get(1), batch * classes, 2), 1e-4, 1e-6, "stats with dLogits");
        close(ReferenceBackend.toArray(st), floats(out.get(2), 0, 2), 1e-4, 1e-6, "stats without dLogits");

        float[] badOut = floats(out.get(3), 0, batch * classes + 2);
        assertTrue(Float.isNaN(badOut[batch * classes]), "a label that is no class index makes the loss NaN");
        for (int c = 0; c < classes; c++) assertTrue(Float.isNaN(badOut[3 * classes + c]), "its gradient row is NaN");
        assertTrue(Float.isFinite(badOut[0]), "other rows are unaffected");
    }
}
