package dev.jrnn.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.nn.Initializers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Rnn} with per-sample lengths and bidirectional specs (issue 16). */
class RnnSequencesTest {
    private static final int B = 3, T = 5, F = 2, H = 4;
    private static final int[] LENGTHS = {5, 1, 3};

    private static RnnSpec spec(boolean bidirectional) {
        return new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH, 1, bidirectional);
    }

    private static float[] input() {
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[B * T * F];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    @Test
    void aBidirectionalLayerHasTwoBlocksAndChecksItsShapes() {
        try (Backend be = new ReferenceBackend(); Rnn bi = Rnn.create(be, spec(true), 3)) {
            assertEquals(2 * spec(false).paramCount(), bi.paramCount());
            assertArrayEquals(Initializers.initialParameters(spec(true), 3), bi.getParameters());
            assertTrue(bi.toString().contains("bidirectional"), bi.toString());
            var e = assertThrows(IllegalArgumentException.class,
                    () -> bi.infer(B, T, input(), null, null, new float[B * T * H], null, null));
            assertTrue(e.getMessage().contains("(B, T, 2H)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> bi.infer(B, T, input(), null, null, new float[B * T * 2 * H], new float[B * H], null));
            assertTrue(e.getMessage().contains("(2, B, H)"), e.getMessage());
        }
    }

    @Test
    void lengthsAreChecked() {
        try (Backend be = new ReferenceBackend(); Rnn lstm = Rnn.create(be, spec(false), 3)) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> lstm.infer(B, T, new int[] {5, 0, 3}, input(), null, null, new float[B * T * H], null, null));
            assertTrue(e.getMessage().contains("sequence 1 has length 0"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> lstm.forward(B, T, new int[] {5, 6}, input(), null, null, new float[B * T * H], null, null));
        }
    }

    /** Outputs past a length are 0; hy is the state at the last valid step (reverse: step 0); every host form agrees. */
    @Test
    void lengthsStopEachSequenceAtItsEnd() {
        for (boolean bidirectional : new boolean[] {false, true}) {
            RnnSpec s = spec(bidirectional);
            int W = s.outputSize(), D = s.directions();
            try (Backend be = new ReferenceBackend(); Rnn rnn = Rnn.create(be, s, 5); Arena arena = Arena.ofConfined()) {
                float[] x = input(), y = new float[B * T * W], hy = new float[D * B * H];
                rnn.infer(B, T, LENGTHS, x, null, null, y, hy, null);
                for (int b = 0; b < B; b++) {
                    for (int t = LENGTHS[b]; t < T; t++) {
                        for (int k = 0; k < W; k++) assertEquals(0f, y[(b * T + t) * W + k], "padding output " + b + "," + t);
                    }
                    for (int h = 0; h < H; h++) {
                        assertEquals(y[(b * T + LENGTHS[b] - 1) * W + h], hy[b * H + h], 1e-6f, "forward hy of " + b);
                        if (bidirectional) assertEquals(y[b * T * W + H + h], hy[(B + b) * H + h], 1e-6f, "reverse hy of " + b);
                    }
                }
                float[] yt = new float[y.length];
                try (Rnn.Saved saved = rnn.forward(B, T, LENGTHS, x, null, null, yt, null, null)) {
                    assertArrayEquals(y, yt, "forward and infer");
                }
                FloatBuffer yb = FloatBuffer.allocate(y.length);
                rnn.infer(B, T, LENGTHS, FloatBuffer.wrap(x), null, null, yb, null, null);
                assertArrayEquals(y, yb.array(), "FloatBuffer");
                MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x), ys = arena.allocate((long) y.length * 4);
                rnn.infer(B, T, LENGTHS, xs, null, null, ys, null, null);
                assertArrayEquals(y, ys.toArray(ValueLayout.JAVA_FLOAT), "MemorySegment");
                // a sequence alone, cut to its length, gives the same outputs
                float[] one = Arrays.copyOfRange(x, 2 * T * F, 2 * T * F + LENGTHS[2] * F), y1 = new float[LENGTHS[2] * W];
                rnn.infer(1, LENGTHS[2], one, null, null, y1, null, null);
                assertArrayEquals(y1, Arrays.copyOfRange(y, 2 * T * W, 2 * T * W + LENGTHS[2] * W), 1e-6f, "sample 2 alone");
            }
        }
    }
}
