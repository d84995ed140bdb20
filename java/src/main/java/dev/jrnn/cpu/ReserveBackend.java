package dev.jrnn.cpu;

import dev.jrnn.backend.AbstractRnnTrace;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The CPU backends' recurrent ops: each runs a layer through a positional form that writes the
 * saved activations into one reserve tensor, {@code (B, RnnSpec#reservePerSample(T))}, and this
 * class turns that into the {@link Backend} contract: the forward pass returns a {@link RnnTrace}
 * owning its reserve, the backward pass reads it, closing gives it back. Arguments are checked
 * once here ({@link RnnSpec#checkForward}, {@link RnnSpec#checkBackward}), the same for both CPU
 * backends. Per-sample lengths and bidirectional layers go through to the positional forms, and
 * the trace keeps the lengths for the backward pass.
 *
 * <p>NB: the reserves of closed traces are kept (a few, by size) for the next forward pass: a
 * training step would otherwise allocate and zero a few MB per layer. Every forward pass writes
 * all of its reserve that its backward pass reads, so a reused one gives the same numbers.
 */
abstract class ReserveBackend implements Backend {
    /** Reserves of closed traces, most recent last; at most {@link #MAX_FREE}. */
    private final ArrayDeque<Tensor> freeReserves = new ArrayDeque<>();
    private static final int MAX_FREE = 16;

    /**
     * One layer or stack forward in the positional form: {@code reserve}
     * {@code (B, reservePerSample(T))} receives what backward needs, or is {@code null} for
     * inference; the states are {@link RnnState}'s fields, each {@code null} for zeros (inputs) or
     * to skip (outputs); {@code lengths} holds B lengths in [1, T], or is {@code null} for all T
     * (checked by {@link RnnSpec#checkLengths}). Public for the CPU backends' own tests and
     * benchmarks, which drive the reserve directly.
     */
    public abstract void rnnForward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx,
                                    Tensor params, Tensor y, Tensor hy, Tensor cy, Tensor reserve);

    /**
     * The backward pass of the positional {@link #rnnForward(RnnSpec, int, int, int[], Tensor, Tensor, Tensor,
     * Tensor, Tensor, Tensor, Tensor, Tensor) rnnForward} with the same lengths, {@code x}, states,
     * {@code params}, {@code y} and {@code reserve}; {@code dy} null stands for zeros (only the
     * state gradients feed the pass) and is not read.
     */
    public abstract void rnnBackward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx,
                                     Tensor params, Tensor y, Tensor reserve, Tensor dy, Tensor dhy, Tensor dcy,
                                     Tensor dx, Tensor dhx, Tensor dcx, Tensor dParams);

    /** The positional forward of full-length sequences: for the CPU backends' tests and benchmarks. */
    public final void rnnForward(RnnSpec spec, int batch, int steps, Tensor x, Tensor hx, Tensor cx, Tensor params,
                                 Tensor y, Tensor hy, Tensor cy, Tensor reserve) {
        rnnForward(spec, batch, steps, null, x, hx, cx, params, y, hy, cy, reserve);
    }

    /** The positional backward of full-length sequences: for the CPU backends' tests and benchmarks. */
    public final void rnnBackward(RnnSpec spec, int batch, int steps, Tensor x, Tensor hx, Tensor cx, Tensor params,
                                  Tensor y, Tensor reserve, Tensor dy, Tensor dhy, Tensor dcy,
                                  Tensor dx, Tensor dhx, Tensor dcx, Tensor dParams) {
        rnnBackward(spec, batch, steps, null, x, hx, cx, params, y, reserve, dy, dhy, dcy, dx, dhx, dcx, dParams);
    }

    /** The positional forward from zero states without final states: for the CPU backends' tests and benchmarks. */
    public final void rnnForward(RnnSpec spec, int batch, int steps, Tensor x, Tensor params, Tensor y, Tensor reserve) {
        rnnForward(spec, batch, steps, null, x, null, null, params, y, null, null, reserve);
    }

    /** The positional backward without state gradients: for the CPU backends' tests and benchmarks. */
    public final void rnnBackward(RnnSpec spec, int batch, int steps, Tensor x, Tensor params, Tensor y, Tensor reserve,
                                  Tensor dy, Tensor dx, Tensor dParams) {
        rnnBackward(spec, batch, steps, null, x, null, null, params, y, reserve, dy, null, null, dx, null, null, dParams);
    }

    @Override
    public final RnnTrace rnnForward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, RnnState initial,
                                     Tensor params, Tensor y, RnnState last) {
        RnnState in = RnnState.orNone(initial), out = RnnState.orNone(last);
        spec.checkForward("rnnForward", batch, steps, lengths, x, in, params, y, out);
        Tensor reserve = takeReserve(Math.multiplyExact(batch, spec.reservePerSample(steps)));
        try {
            rnnForward(spec, batch, steps, lengths, x, in.h(), in.c(), params, y, out.h(), out.c(), reserve);
        } catch (RuntimeException | Error e) {
            giveBack(reserve);
            throw e;
        }
        return new Trace(spec, batch, steps, lengths, x, in, params, y, reserve);
    }

    @Override
    public final void rnnInfer(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, RnnState initial,
                               Tensor params, Tensor y, RnnState last) {
        RnnState in = RnnState.orNone(initial), out = RnnState.orNone(last);
        spec.checkForward("rnnInfer", batch, steps, lengths, x, in, params, y, out);
        rnnForward(spec, batch, steps, lengths, x, in.h(), in.c(), params, y, out.h(), out.c(), null);
    }

    @Override
    public final void rnnBackward(RnnTrace trace, Tensor dy, RnnState dLast, Tensor dx, RnnState dInitial, Tensor dParams) {
        if (!(trace instanceof Trace t) || t.owner() != this) {
            throw new IllegalArgumentException("rnnBackward: the trace is not from this " + name() + " backend's rnnForward, found "
                    + (trace == null ? "null" : trace.getClass().getSimpleName()));
        }
        t.requireOpen();
        RnnState dOut = RnnState.orNone(dLast), dIn = RnnState.orNone(dInitial);
        t.spec().checkBackward("rnnBackward", t.batch(), t.steps(), dy, dOut, dx, dIn, dParams);
        rnnBackward(t.spec(), t.batch(), t.steps(), t.lengthsOrNull(), t.x, t.initial.h(), t.initial.c(), t.params, t.y, t.reserve,
                dy, dOut.h(), dOut.c(), dx, dIn.h(), dIn.c(), dParams);
    }

    /** A reserve of exactly {@code size} floats: a closed trace's, or a new one. */
    private Tensor takeReserve(int size) {
        for (Iterator<Tensor> it = freeReserves.descendingIterator(); it.hasNext(); ) {
            Tensor t = it.next();
            if (t.size() == size) {
                it.remove();
                return t;
            }
        }
        return allocate(size);
    }

    private void giveBack(Tensor reserve) {
        if (freeReserves.size() >= MAX_FREE) freeReserves.removeFirst().close();
        freeReserves.addLast(reserve);
    }

    /** A CPU forward pass's trace: its arguments and its reserve. */
    private final class Trace extends AbstractRnnTrace {
        final Tensor x, params, y;
        final RnnState initial;
        final Tensor reserve;

        Trace(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, RnnState initial, Tensor params, Tensor y,
              Tensor reserve) {
            super(spec, batch, steps, lengths);
            this.x = x;
            this.initial = initial;
            this.params = params;
            this.y = y;
            this.reserve = reserve;
        }

        /** The lengths without a copy, {@code null} for full length. */
        int[] lengthsOrNull() {
            return lengthsView();
        }

        ReserveBackend owner() {
            return ReserveBackend.this;
        }

        @Override
        protected void release() {
            giveBack(reserve);
        }
    }
}
