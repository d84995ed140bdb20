package dev.jrnn.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Sequential;
import dev.jrnn.nn.Initializers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The standalone layer: every memory form agrees, states flow through, and misuse is a clear error. */
class RnnTest {
    private static final int B = 3, T = 4, F = 5, H = 6;
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

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /** Forward and backward with every state argument, on float[]; returns {y, hy, cy, dx, dhx, dcx, dParams}. */
    private static float[][] run(Backend be, RnnSpec spec, float[] x, float[] hx, float[] cx, float[] dy, float[] dhy,
                                 float[] dcy) {
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        float[] y = new float[B * T * H], hy = new float[B * H], cy = lstm ? new float[B * H] : null;
        float[] dx = new float[x.length], dhx = new float[B * H], dcx = lstm ? new float[B * H] : null;
        try (Rnn rnn = Rnn.create(be, spec, 5); Rnn.Saved s = rnn.forward(B, T, x, hx, lstm ? cx : null, y, hy, cy)) {
            rnn.backward(s, dy, dhy, lstm ? dcy : null, dx, dhx, dcx);
            return new float[][] {y, hy, cy, dx, dhx, dcx, rnn.getGradients()};
        }
    }

    @ParameterizedTest
    @EnumSource(RnnSpec.Cell.class)
    void cpuMatchesTheReferenceWithStates(RnnSpec.Cell cell) {
        RnnSpec spec = new RnnSpec(cell, F, H, Activation.TANH);
        SplittableRandom r = new SplittableRandom(1);
        float[] x = random(r, B * T * F), hx = random(r, B * H), cx = random(r, B * H);
        float[] dy = random(r, B * T * H), dhy = random(r, B * H), dcy = random(r, B * H);
        float[][] a = run(cpu, spec, x, hx, cx, dy, dhy, dcy), e = run(ref, spec, x, hx, cx, dy, dhy, dcy);
        String[] names = {"y", "hy", "cy", "dx", "dhx", "dcx", "dParams"};
        for (int k = 0; k < a.length; k++) {
            if (e[k] == null) continue;
            for (int i = 0; i < e[k].length; i++) {
                assertEquals(e[k][i], a[k][i], 2e-5 + 2e-4 * Math.abs(e[k][i]), cell + " " + names[k] + "[" + i + "]");
            }
        }
        // hy is the last step of y
        for (int b = 0; b < B; b++) {
            for (int u = 0; u < H; u++) assertEquals(a[0][(b * T + T - 1) * H + u], a[1][b * H + u], 0f);
        }
        // initial states matter: zero states give other outputs
        float[][] zero = run(ref, spec, x, null, null, dy, null, null);
        assertTrue(Math.abs(zero[0][0] - e[0][0]) > 1e-4, "hx must change y");
        // no dy: a loss on the final states alone, the same bits as a dy of zeros, on both backends
        for (Backend be : new Backend[] {cpu, ref}) {
            float[][] none = run(be, spec, x, hx, cx, null, dhy, dcy), zeros = run(be, spec, x, hx, cx, new float[dy.length], dhy, dcy);
            for (int k = 3; k < none.length; k++) {
                if (none[k] != null) assertArrayEquals(zeros[k], none[k], be.name() + " no dy: " + names[k]);
            }
            assertTrue(Math.abs(none[3][0] - a[3][0]) > 1e-6, "dy must change dx");
        }
    }

    @Test
    void stateGradientsMatchFiniteDifferencesOnTheReference() {
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH);
        SplittableRandom r = new SplittableRandom(2);
        float[] x = random(r, B * T * F), hx = random(r, B * H), cx = random(r, B * H);
        float[] dy = random(r, B * T * H), dhy = random(r, B * H), dcy = random(r, B * H);
        float[][] g = run(ref, spec, x, hx, cx, dy, dhy, dcy);
        // loss = dy . y + dhy . hy + dcy . cy
        double eps = 1e-2;
        for (float[][] which : new float[][][] {{hx, g[4]}, {cx, g[5]}}) {
            float[] v = which[0], grad = which[1];
            for (int i = 0; i < v.length; i += 5) {
                float keep = v[i];
                v[i] = (float) (keep + eps);
                double up = loss(spec, x, hx, cx, dy, dhy, dcy);
                v[i] = (float) (keep - eps);
                double down = loss(spec, x, hx, cx, dy, dhy, dcy);
                v[i] = keep;
                double fd = (up - down) / (2 * eps);
                assertEquals(fd, grad[i], 1e-3 + 1e-2 * Math.abs(fd), "state gradient [" + i + "]");
            }
        }
    }

    private static double loss(RnnSpec spec, float[] x, float[] hx, float[] cx, float[] dy, float[] dhy, float[] dcy) {
        float[] y = new float[B * T * H], hy = new float[B * H], cy = new float[B * H];
        try (Rnn rnn = Rnn.create(ref, spec, 5); Rnn.Saved s = rnn.forward(B, T, x, hx, cx, y, hy, cy)) {
            double l = 0;
            for (int i = 0; i < y.length; i++) l += (double) dy[i] * y[i];
            for (int i = 0; i < hy.length; i++) l += (double) dhy[i] * hy[i] + (double) dcy[i] * cy[i];
            return l;
        }
    }

    @Test
    void floatBuffersSegmentsTensorsAndArraysGiveTheSameBits() {
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH);
        SplittableRandom r = new SplittableRandom(3);
        float[] x = random(r, B * T * F), hx = random(r, B * H), dy = random(r, B * T * H);
        float[][] want = run(cpu, spec, x, hx, null, dy, null, null);

        // big-endian direct buffers, positioned after a 2-float prefix: order and position honoured, not moved
        FloatBuffer bx = direct(x, ByteOrder.BIG_ENDIAN), bhx = direct(hx, ByteOrder.BIG_ENDIAN), bdy = direct(dy, ByteOrder.BIG_ENDIAN);
        FloatBuffer by = direct(new float[B * T * H], ByteOrder.BIG_ENDIAN), bdx = direct(new float[x.length], ByteOrder.LITTLE_ENDIAN);
        try (Rnn rnn = Rnn.create(cpu, spec, 5); Rnn.Saved s = rnn.forward(B, T, bx, bhx, null, by, null, null)) {
            rnn.backward(s, bdy, null, null, bdx, null, null);
            assertArrayEquals(want[0], drain(by), "y through FloatBuffer");
            assertArrayEquals(want[3], drain(bdx), "dx through FloatBuffer");
            assertArrayEquals(want[6], rnn.getGradients(), "dParams through FloatBuffer");
            assertEquals(2, bx.position(), "position not moved");
        }
        try (Arena arena = Arena.ofConfined(); Rnn rnn = Rnn.create(cpu, spec, 5)) {
            MemorySegment sx = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x), shx = arena.allocateFrom(ValueLayout.JAVA_FLOAT, hx);
            MemorySegment sy = arena.allocate(4L * B * T * H), sdx = arena.allocate(4L * x.length);
            try (Rnn.Saved s = rnn.forward(B, T, sx, shx, null, sy, null, null)) {
                rnn.backward(s, arena.allocateFrom(ValueLayout.JAVA_FLOAT, dy), null, null, sdx, null, null);
            }
            assertArrayEquals(want[0], sy.toArray(ValueLayout.JAVA_FLOAT), "y through MemorySegment");
            assertArrayEquals(want[3], sdx.toArray(ValueLayout.JAVA_FLOAT), "dx through MemorySegment");
        }
        try (Rnn rnn = Rnn.create(cpu, spec, 5); Tensor tx = put(x); Tensor thx = put(hx); Tensor ty = cpu.allocate(B * T * H);
             Tensor tdy = put(dy); Tensor tdx = cpu.allocate(x.length); Rnn.Saved s = rnn.forward(B, T, tx, thx, null, ty, null, null)) {
            rnn.backward(s, tdy, null, null, tdx, null, null);
            assertArrayEquals(want[0], get(ty), "y on tensors");
            assertArrayEquals(want[3], get(tdx), "dx on tensors");
        }
    }

    private static FloatBuffer direct(float[] v, ByteOrder order) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * (v.length + 2)).order(order).asFloatBuffer();
        b.put(new float[] {99, 99}).put(v).position(2);
        return b;
    }

    private static float[] drain(FloatBuffer b) {
        float[] out = new float[b.remaining()];
        b.get(b.position(), out);
        return out;
    }

    private static Tensor put(float[] v) {
        Tensor t = cpu.allocate(v.length);
        cpu.write(v, 0, t, v.length);
        return t;
    }

    private static float[] get(Tensor t) {
        float[] out = new float[t.size()];
        cpu.read(t, out, 0, out.length);
        return out;
    }

    @Test
    void inferGivesTheForwardOutputsAndKeepsNothing() {
        SplittableRandom r = new SplittableRandom(6);
        float[] x = random(r, B * T * F), cx = random(r, B * H);
        float[] y1 = new float[B * T * H], y2 = new float[B * T * H], c1 = new float[B * H], c2 = new float[B * H];
        for (Backend be : new Backend[] {cpu, ref}) {
            try (Rnn lstm = Rnn.lstm(be, F, H)) {
                try (Rnn.Saved s = lstm.forward(B, T, x, null, cx, y1, null, c1)) {
                    assertEquals(B, s.batch());
                }
                lstm.infer(B, T, x, null, cx, y2, null, c2);   // the backend's inference path: no reserve
                assertArrayEquals(y1, y2, be.name());
                assertArrayEquals(c1, c2, be.name());
            }
        }
    }

    @Test
    void gradientsAccumulateUntilZeroed() {
        SplittableRandom r = new SplittableRandom(4);
        float[] x = random(r, B * T * F), dy = random(r, B * T * H), y = new float[B * T * H];
        try (Rnn gru = Rnn.gru(cpu, F, H)) {
            for (int k = 0; k < 2; k++) {
                try (Rnn.Saved s = gru.forward(B, T, x, null, null, y, null, null)) {
                    gru.backward(s, dy, null, null, null, null, null);
                }
            }
            float[] twice = gru.getGradients();
            gru.zeroGradients();
            assertTrue(Arrays.equals(new float[gru.paramCount()], gru.getGradients()), "zeroGradients");
            try (Rnn.Saved s = gru.forward(B, T, x, null, null, y, null, null)) {
                gru.backward(s, dy, null, null, null, null, null);
            }
            float[] once = gru.getGradients();
            for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-5 + 1e-5 * Math.abs(twice[i]));
        }
    }

    @Test
    void initialisationIsTheFirstLayerOfASequentialWithTheSameSeed() {
        Sequential model = Sequential.builder().input(T, F).add(new LSTM(H)).add(new Dense(2, Activation.SOFTMAX)).build();
        float[] all = Initializers.initialParameters(model, 9);
        try (Rnn lstm = Rnn.create(cpu, new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH), 9)) {
            assertArrayEquals(Arrays.copyOf(all, lstm.paramCount()), lstm.getParameters());
            float[] p = lstm.getParameters();
            assertEquals(1f, p[lstm.spec().offsetBias() + H], "forget-gate bias 1");
            p[0] = 42f;
            lstm.setParameters(p);
            assertEquals(42f, lstm.getParameters()[0]);
        }
    }

    @Test
    void misuseIsAClearError() {
        float[] x = new float[B * T * F], y = new float[B * T * H];
        try (Rnn gru = Rnn.gru(cpu, F, H); Rnn lstm = Rnn.lstm(cpu, F, H)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> lstm.forward(B, T, new float[B * T * F - 1], null, null, y, null, null));
            assertTrue(e.getMessage().contains("expected " + B * T * F) && e.getMessage().contains("found " + (B * T * F - 1))
                    && e.getMessage().contains("(B, T, F) = (3, 4, 5)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> gru.forward(B, T, x, null, new float[B * H], y, null, null));
            assertTrue(e.getMessage().contains("GRU has no cell state"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> lstm.forward(0, T, x, null, null, y, null, null));
            assertTrue(e.getMessage().contains("positive"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> lstm.forward(B, T, FloatBuffer.wrap(x), null, null, FloatBuffer.wrap(y), FloatBuffer.allocate(B * H).asReadOnlyBuffer(), null));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> lstm.setParameters(new float[3]));
            assertTrue(e.getMessage().contains("expected " + lstm.paramCount()), e.getMessage());

            Rnn.Saved s = lstm.forward(B, T, x, null, null, y, null, null);
            // a wrong argument does not use up the forward pass
            assertThrows(IllegalArgumentException.class, () -> lstm.backward(s, new float[5], null, null, null, null, null));
            IllegalStateException st = assertThrows(IllegalStateException.class, () -> gru.backward(s, y, null, null, null, null, null));
            assertTrue(st.getMessage().contains("another layer"), st.getMessage());
            lstm.backward(s, y.clone(), null, null, null, null, null);
            st = assertThrows(IllegalStateException.class, () -> lstm.backward(s, y.clone(), null, null, null, null, null));
            assertTrue(st.getMessage().contains("already back-propagated"), st.getMessage());
            s.close();
            Rnn.Saved s2 = lstm.forward(B, T, x, null, null, y, null, null);
            s2.close();
            st = assertThrows(IllegalStateException.class, () -> lstm.backward(s2, y.clone(), null, null, null, null, null));
            assertTrue(st.getMessage().contains("closed"), st.getMessage());
        }
        Rnn closed = Rnn.lstm(cpu, F, H);
        closed.close();
        assertThrows(IllegalStateException.class, closed::getParameters);
    }
}
