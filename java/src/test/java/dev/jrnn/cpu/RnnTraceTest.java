package dev.jrnn.cpu;

import static dev.jrnn.cpu.TestData.get;
import static dev.jrnn.cpu.TestData.put;
import static dev.jrnn.cpu.TestData.uniform;
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

    /** One pass's tensors: inputs random from {@code seed}, outputs zero; every state of a (layers, B, H) stack. */
    private record Pass(Tensor x, Tensor p, Tensor hx, Tensor cx, Tensor dy, Tensor dhy, Tensor dcy,
                        Tensor y, Tensor hy, Tensor cy, Tensor dx, Tensor dhx, Tensor dcx, Tensor dp) {
        static Pass of(Backend be, RnnSpec spec, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int S = spec.layers() * B * H;
            return new Pass(put(be, uniform(r, B * T * F, 1)), put(be, uniform(r, spec.paramCount(), 0.4)),
                    put(be, uniform(r, S, 1)), put(be, uniform(r, S, 1)), put(be, uniform(r, B * T * H, 1)),
                    put(be, uniform(r, S, 1)), put(be, uniform(r, S, 1)), be.allocate(B * T * H), be.allocate(S),
                    be.allocate(S), be.allocate(B * T * F), be.allocate(S), be.allocate(S), be.allocate(spec.paramCount()));
        }

        /** y, hy, cy, dx, dhx, dcx and dParams. */
        float[][] outputs(Backend be) {
            return new float[][] {get(be, y), get(be, hy), get(be, cy), get(be, dx), get(be, dhx), get(be, dcx), get(be, dp)};
        }
    }

    /** One typed pass with every state, through the trace. */
    private static float[][] typed(ReserveBackend be, RnnSpec spec, long seed) {
        Pass a = Pass.of(be, spec, seed);
        try (RnnTrace trace = be.rnnForward(spec, B, T, a.x(), RnnState.of(a.hx(), a.cx()), a.p(), a.y(), RnnState.of(a.hy(), a.cy()))) {
            be.rnnBackward(trace, a.dy(), RnnState.of(a.dhy(), a.dcy()), a.dx(), RnnState.of(a.dhx(), a.dcx()), a.dp());
        }
        return a.outputs(be);
    }

    /** The same through the positional form and an explicit reserve. */
    private static float[][] positional(ReserveBackend be, RnnSpec spec, long seed) {
        Pass a = Pass.of(be, spec, seed);
        Tensor reserve = be.allocate(B * spec.reservePerSample(T));
        be.rnnForward(spec, B, T, a.x(), a.hx(), a.cx(), a.p(), a.y(), a.hy(), a.cy(), reserve);
        be.rnnBackward(spec, B, T, a.x(), a.hx(), a.cx(), a.p(), a.y(), reserve, a.dy(), a.dhy(), a.dcy(), a.dx(), a.dhx(),
                a.dcx(), a.dp());
        return a.outputs(be);
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
