package dev.jrnn.cpu;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;

/**
 * A stack of recurrent layers ({@link RnnSpec#layers()} above 1) run as one layer after another
 * through a backend's one-layer ops: what the CPU backends do, where cuDNN runs the stack in one
 * call. Every number is the one separate one-layer calls give, in the same order. A bidirectional
 * stack runs each layer's two directions in its one-layer call; the layer above reads the
 * {@code (B, T, 2H)} concatenation.
 *
 * <p>The reserve of batch B is laid out as the layers' reserves ({@code B * layer(l).reservePerSample(T)}
 * each, bottom first), then the output sequences of layers 0 to L-2
 * ({@code B*T*directions*H} each), then one or two such gradient sequences that backward hands
 * down. States are {@code (layers * directions, B, H)}: layer {@code l}'s {@code directions}
 * blocks of {@code (B, H)} start at {@code l * directions * B * H}.
 */
final class RnnStack {
    private RnnStack() {}

    static void forward(ReserveBackend be, RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx,
                        Tensor cx, Tensor params, Tensor y, Tensor hy, Tensor cy, Tensor reserve) {
        spec.checkCellStates("rnnForward", "cx", cx, "cy", cy);
        int L = spec.layers(), seq = batch * steps * spec.outputSize(), state = spec.directions() * batch * spec.units();
        check(params, spec.paramCount(), "rnnForward params of ", spec);
        for (Object[] s : new Object[][] {{hx, "hx"}, {cx, "cx"}, {hy, "hy"}, {cy, "cy"}}) {
            if (s[0] != null) checkState((Tensor) s[0], L * state, "rnnForward ", s[1], spec);
        }
        if (reserve != null) check(reserve, batch * spec.reservePerSample(steps), "rnnForward reserve (B, reservePerSample(T))", "");
        // NB: without a reserve (inference) the layers' outputs go to two buffers in turn
        Tensor[] temp = reserve != null ? null : new Tensor[] {be.allocate(seq), L > 2 ? be.allocate(seq) : null};
        try {
            Tensor in = x;
            for (int l = 0; l < L; l++) {
                RnnSpec s = spec.layer(l);
                Tensor out = l == L - 1 ? y : reserve != null ? output(spec, batch, steps, reserve, l) : temp[l % 2];
                be.rnnForward(s, batch, steps, lengths, in, slice(hx, l, state), slice(cx, l, state),
                        params.slice(spec.layerOffset(l), s.paramCount()), out, slice(hy, l, state),
                        slice(cy, l, state), reserve == null ? null : layerReserve(spec, batch, steps, reserve, l));
                in = out;
            }
        } finally {
            if (temp != null) for (Tensor t : temp) if (t != null) t.close();
        }
    }

    static void backward(ReserveBackend be, RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx,
                         Tensor cx, Tensor params, Tensor y, Tensor reserve, Tensor dy, Tensor dhy, Tensor dcy,
                         Tensor dx, Tensor dhx, Tensor dcx, Tensor dParams) {
        spec.checkCellStates("rnnBackward", "cx", cx, "dcy", dcy, "dcx", dcx);
        int L = spec.layers(), state = spec.directions() * batch * spec.units();
        check(params, spec.paramCount(), "rnnBackward params of ", spec);
        check(dParams, spec.paramCount(), "rnnBackward dParams of ", spec);
        check(reserve, batch * spec.reservePerSample(steps), "rnnBackward reserve (B, reservePerSample(T))", "");
        for (Object[] s : new Object[][] {{hx, "hx"}, {cx, "cx"}, {dhy, "dhy"}, {dcy, "dcy"}, {dhx, "dhx"}, {dcx, "dcx"}}) {
            if (s[0] != null) checkState((Tensor) s[0], L * state, "rnnBackward ", s[1], spec);
        }
        Tensor dOut = dy;
        for (int l = L - 1; l >= 0; l--) {
            RnnSpec s = spec.layer(l);
            Tensor in = l == 0 ? x : output(spec, batch, steps, reserve, l - 1);
            Tensor out = l == L - 1 ? y : output(spec, batch, steps, reserve, l);
            Tensor dIn = l == 0 ? dx : gradient(spec, batch, steps, reserve, (L - 1 - l) % 2);
            be.rnnBackward(s, batch, steps, lengths, in, slice(hx, l, state), slice(cx, l, state),
                    params.slice(spec.layerOffset(l), s.paramCount()), out, layerReserve(spec, batch, steps, reserve, l),
                    dOut, slice(dhy, l, state), slice(dcy, l, state), dIn, slice(dhx, l, state), slice(dcx, l, state),
                    dParams.slice(spec.layerOffset(l), s.paramCount()));
            dOut = dIn;
        }
    }

    /** {@link #check} for a state tensor {@code name}, its shape put into the message only on failure. */
    private static void checkState(Tensor t, long need, String op, Object name, RnnSpec spec) {
        if (t.size() < need) check(t, need, op, name + " " + stateShape(spec));
    }

    private static String stateShape(RnnSpec spec) {
        return spec.bidirectional() ? "(layers * 2, B, H)" : "(layers, B, H)";
    }

    /** Layer {@code layer}'s states, {@code state = directions * B * H} floats, or null. */
    private static Tensor slice(Tensor t, int layer, int state) {
        return t == null ? null : t.slice(layer * state, state);
    }

    private static Tensor layerReserve(RnnSpec spec, int batch, int steps, Tensor reserve, int l) {
        return reserve.slice(layersBelow(spec, batch, steps, l), batch * spec.layer(l).reservePerSample(steps));
    }

    /** Floats of the reserves of layers [0, l). */
    private static int layersBelow(RnnSpec spec, int batch, int steps, int l) {
        return l == 0 ? 0 : batch * (spec.layer(0).reservePerSample(steps) + (l - 1) * spec.layer(1).reservePerSample(steps));
    }

    /** Layer l's output sequence (B, T, directions * H) in the reserve. */
    private static Tensor output(RnnSpec spec, int batch, int steps, Tensor reserve, int l) {
        int seq = batch * steps * spec.outputSize();
        return reserve.slice(layersBelow(spec, batch, steps, spec.layers()) + l * seq, seq);
    }

    private static Tensor gradient(RnnSpec spec, int batch, int steps, Tensor reserve, int which) {
        return output(spec, batch, steps, reserve, spec.layers() - 1 + which);
    }

    /** Checks {@code t} holds {@code need} floats; the message names it {@code what + detail}, put together only on failure. */
    private static void check(Tensor t, long need, String what, Object detail) {
        if (t == null) throw new IllegalArgumentException(what + detail + ": expected a tensor of " + need + " floats, found null");
        if (t.size() < need) {
            throw new IllegalArgumentException(what + detail + ": expected at least " + need + " floats, found " + t.size());
        }
    }
}
