package dev.jrnn.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The typed recurrent API on the CPU backends: a forward pass returns the trace its backward pass
 * takes, with the same numbers as the positional form over an explicit reserve; a trace's reserve,
 * reused by the next pass once closed, changes nothing; a closed or foreign trace is refused; and
 * both backends check arguments the same way, naming the shape.
 */
class RnnTraceTest {
    private static final int B = 5, T = 7, F = 6, H = 8;

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

    /** y, hy, cy, dx, dhx, dcx and dParams of one typed pass with every state, two layers. */
    private static float[][] typed(ReserveBackend be, RnnSpec spec, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int S = spec.layers() * B * H;
        Tensor x = put(be, uniform(r, B * T * F, 1)), p = put(be, uniform(r, spec.paramCount(), 0.4));
        Tensor hx = put(be, uniform(r, S, 1)), cx = put(be, uniform(r, S, 1)), dy = put(be, uniform(r, B * T * H, 1));
        Tensor dhy = put(be, uniform(r, S, 1)), dcy = put(be, uniform(r, S, 1));
        Tensor y = be.allocate(B * T * H), hy = be.allocate(S), cy = be.allocate(S), dx = be.allocate(B * T * F);
        Tensor dhx = be.allocate(S), dcx = be.allocate(S), dp = be.allocate(spec.paramCount());
        try (RnnTrace trace = be.rnnForward(spec, B, T, x, RnnState.of(hx, cx), p, y, RnnState.of(hy, cy))) {
            be.rnnBackward(trace, dy, RnnState.of(dhy, dcy), dx, RnnState.of(dhx, dcx), dp);
        }
        return new float[][] {get(be, y), get(be, hy), get(be, cy), get(be, dx), get(be, dhx), get(be, dcx), get(be, dp)};
    }

    /** The same through the positional form and an explicit reserve. */
    private static float[][] positional(ReserveBackend be, RnnSpec spec, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int S = spec.layers() * B * H;
        Tensor x = put(be, uniform(r, B * T * F, 1)), p = put(be, uniform(r, spec.paramCount(), 0.4));
        Tensor hx = put(be, uniform(r, S, 1)), cx = put(be, uniform(r, S, 1)), dy = put(be, uniform(r, B * T * H, 1));
        Tensor dhy = put(be, uniform(r, S, 1)), dcy = put(be, uniform(r, S, 1));
        Tensor y = be.allocate(B * T * H), hy = be.allocate(S), cy = be.allocate(S), dx = be.allocate(B * T * F);
        Tensor dhx = be.allocate(S), dcx = be.allocate(S), dp = be.allocate(spec.paramCount());
        Tensor reserve = be.allocate(B * spec.reservePerSample(T));
        be.rnnForward(spec, B, T, x, hx, cx, p, y, hy, cy, reserve);
        be.rnnBackward(spec, B, T, x, hx, cx, p, y, reserve, dy, dhy, dcy, dx, dhx, dcx, dp);
        return new float[][] {get(be, y), get(be, hy), get(be, cy), get(be, dx), get(be, dhx), get(be, dcx), get(be, dp)};
    }

    @Test
    void theTypedPassGivesThePositionalNumbersAndAReusedReserveChangesNothing() {
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH, 2);
        for (ReserveBackend be : new ReserveBackend[] {new ReferenceBackend(), new VectorBackend(2)}) {
            try (be) {
                float[][] want = positional(be, spec, 11);
                float[][] first = typed(be, spec, 11);
                // NB: other data in between, so the reused reserve holds stale numbers
                typed(be, spec, 12);
                float[][] again = typed(be, spec, 11);
                for (int i = 0; i < want.length; i++) {
                    assertArrayEquals(want[i], first[i], be.name() + " output " + i);
                    assertArrayEquals(want[i], again[i], be.name() + " output " + i + " with a reused reserve");
                }
            }
        }
    }

    @Test
    void aClosedOrForeignTraceIsRefused() {
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.GRU, F, H, Activation.TANH);
        ReferenceBackend ref = new ReferenceBackend();
        try (VectorBackend vec = new VectorBackend(1)) {
            Tensor x = ref.allocate(B * T * F), p = ref.allocate(spec.paramCount()), y = ref.allocate(B * T * H);
            RnnTrace trace = ref.rnnForward(spec, B, T, x, p, y);
            trace.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> ref.rnnBackward(trace, y, null, p));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            trace.close();   // twice: nothing
            try (RnnTrace open = ref.rnnForward(spec, B, T, x, p, y)) {
                IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                        () -> vec.rnnBackward(open, vec.allocate(B * T * H), null, vec.allocate(spec.paramCount())));
                assertTrue(foreign.getMessage().contains("not from this cpu backend"), foreign.getMessage());
            }
        }
    }

    @Test
    void bothBackendsNameTheShapeOfABadArgument() {
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH);
        for (Backend be : new Backend[] {new ReferenceBackend(), new VectorBackend(1)}) {
            try (be) {
                Tensor x = be.allocate(B * T * F - 1), p = be.allocate(spec.paramCount()), y = be.allocate(B * T * H);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.rnnForward(spec, B, T, x, p, y));
                assertTrue(e.getMessage().contains("x (B, T, F)") && e.getMessage().contains("B 5, T 7, F 6")
                        && e.getMessage().contains("needs 210 elements, found 209"), be.name() + ": " + e.getMessage());
                Tensor small = be.allocate(B * H - 1);
                e = assertThrows(IllegalArgumentException.class,
                        () -> be.rnnInfer(spec, B, T, be.allocate(B * T * F), RnnState.NONE, p, y, RnnState.of(null, small)));
                assertTrue(e.getMessage().contains("rnnInfer: cy (B, H)") && e.getMessage().contains("found 39"), be.name() + ": " + e.getMessage());
            }
        }
    }
}
