package dev.jrnn.cuda;

import dev.jrnn.backend.AbstractRnnTrace;
import dev.jrnn.backend.RnnSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * jrnn's own LSTM and GRU on the GPU ({@code native/rnn.cu}), for any cell activation: what runs
 * relu cells, which cuDNN cannot fuse. Standard structure: per layer and direction one SGEMM
 * projects the input of every timestep ({@code xw = x W^T}, (B, T, G*H)); then per step one SGEMM
 * for the recurrent product ({@code rh = h(t-1) R^T}) and one fused cell kernel. Backward mirrors
 * it: per step one fused kernel (gate gradients) and one SGEMM ({@code dh(t-1) += dgrec(t) R}); then
 * one SGEMM each for dW, dR, dx and the biases (column sums as a product with a ones vector).
 * Parameters stay in the canonical layout (no packing); a stack runs layer after layer, as cuDNN's
 * {@code numLayers}.
 *
 * <p>Bidirectional layers (issue 16) run each direction as its own pass of the same kernels, the
 * reverse one over {@code t = T-1 .. 0}, each writing its H features of y (B, T, 2H) (the kernels
 * take y's row stride); the input gradient is the two directions' sum. Per-sample lengths go to
 * the kernels as a device int32 array, copied once per training pass into its trace: step
 * {@code t} of sequence {@code b} is active iff {@code t < lengths[b]}, and an inactive step keeps
 * the state, outputs 0 and passes gradients through untouched (rnn.cu's "freeze" rule), which is
 * exactly PyTorch's {@code pack_padded_sequence} for both directions.
 *
 * <p>Per layer and direction a training pass keeps (in its {@link Trace}), by step {@code k} in the
 * direction's order: {@code hs (T+1, B, H)} time-major, {@code hs[0]} the initial state and
 * {@code hs[k+1]} the state after step k; {@code cs (T+1, B, H)}, the LSTM's cell states likewise,
 * or for GRU {@code cs[k+1] = R_n h + b_Rn}; {@code gates (T, B, G*H)} the activated gates; and
 * below the top layer the layer's output (B, T, D*H). Deterministic: a fixed order of launches
 * and GEMMs, no atomics.
 */
final class FusedRnn {

    /** Row-major {@code C (m, n) = alpha op(A) op(B) + beta C} on device addresses (the backend's cuBLAS call). */
    interface Gemm {
        void run(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, long b, float beta, long c);
    }

    private final CudaDevice device;
    private final Gemm gemm;
    /** Scratch: xw (B, T, G*H) and rh (B, G*H) forward; dgin (B, T, G*H), dgrec (T, B, G*H), dh, dc (B, H) and two (B, T, D*H) backward. */
    private DeviceArena.Block xw, rh, dgin, dgrec, dh, dc, seqA, seqB;
    /** Backward with lengths: x (B, T, F) with its padding zeroed, and the jrnn_segments table that zeroes it. */
    private DeviceArena.Block xClean, padTable;
    /** (n) ones, n >= B*T: the bias gradients are one SGEMM, {@code db (1, GH) += ones (1, B*T) dg (B*T, GH)}. */
    private DeviceArena.Block ones;
    private int onesLength;

    FusedRnn(CudaDevice device, Gemm gemm) {
        this.device = device;
        this.gemm = gemm;
    }

    /**
     * A training forward pass; the trace holds what {@link #backward} needs. {@code lengths}: null,
     * or B lengths in [1, T] (checked by the backend). Arguments checked by the backend.
     */
    Trace train(RnnSpec spec, int batch, int steps, int[] lengths, long x, long hx, long cx, long params, long y, long hy,
                long cy) {
        Trace t = new Trace(spec, batch, steps, lengths, x, hx, cx, params);
        try {
            for (int l = 0; l < spec.layers(); l++) forwardLayer(t, l, y, hy, cy);
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** An inference pass: a training pass whose trace is closed at once. */
    void infer(RnnSpec spec, int batch, int steps, int[] lengths, long x, long hx, long cx, long params, long y, long hy,
               long cy) {
        train(spec, batch, steps, lengths, x, hx, cx, params, y, hy, cy).close();
    }

    private static long floatAt(long base, long index) {
        return base + 4L * index;
    }

    /** Step {@code k} of direction {@code d} is timestep {@code t}: forward t = k, reverse t = T-1-k. */
    private static int timestep(int d, int k, int steps) {
        return d == 0 ? k : steps - 1 - k;
    }

    private void forwardLayer(Trace tr, int l, long y, long hy, long cy) {
        RnnSpec spec = tr.spec(), s = spec.layer(l);
        int B = tr.batch(), T = tr.steps(), F = s.inputSize(), H = s.units(), GH = s.gateWidth(), D = spec.directions();
        int ldy = D * H;
        boolean lstm = s.cell() == RnnSpec.Cell.LSTM;
        int act = KernelLauncher.activationCode(s.activation());
        long in = l == 0 ? tr.x : tr.outputs.get(l - 1).address();
        long out = l == spec.layers() - 1 ? y : tr.outputs.get(l).address();
        long state = (long) B * H;
        long lengths = tr.lengthsAddress();
        xw = device.grow(xw, 4L * B * T * GH);
        rh = device.grow(rh, 4L * B * GH);
        for (int d = 0; d < D; d++) {
            int p = l * D + d;   // the state slot (cuDNN's pseudo-layer)
            long base = floatAt(tr.params, spec.layerOffset(l) + s.directionOffset(d));
            long W = floatAt(base, s.offsetW()), R = floatAt(base, s.offsetR()), bias = floatAt(base, s.offsetBias());
            long hs = tr.hs.get(p).address(), cs = tr.cs.get(p).address(), gates = tr.gates.get(p).address();
            gemm.run(false, true, B * T, GH, F, 1f, in, W, 0f, xw.address());   // xw (B*T, GH) = x (B*T, F) W^T
            initial(tr.hx, p, state, hs);
            if (lstm) initial(tr.cx, p, state, cs);
            for (int k = 0; k < T; k++) {
                long hPrev = floatAt(hs, k * state), hNext = floatAt(hs, (k + 1) * state);
                long cPrev = floatAt(cs, k * state), cNext = floatAt(cs, (k + 1) * state);
                gemm.run(false, true, B, GH, H, 1f, hPrev, R, 0f, rh.address());   // rh (B, GH) = h(t-1) R^T
                device.kernels.rnnStep(lstm, B, H, T, timestep(d, k, T), act, ldy, xw.address(), bias, rh.address(), hPrev,
                        cPrev, hNext, cNext, floatAt(out, (long) d * H), floatAt(gates, (long) k * B * GH), lengths);
            }
            if (hy != 0) device.kernels.copy(Math.toIntExact(state), floatAt(hs, T * state), floatAt(hy, p * state));
            if (cy != 0 && lstm) device.kernels.copy(Math.toIntExact(state), floatAt(cs, T * state), floatAt(cy, p * state));
        }
    }

    /** A copy of the batch-major (B, T, F) {@code x} with each sequence's steps from its length on set to 0. */
    private long withoutPadding(long x, int B, int T, int F, int[] lengths) {
        long n = (long) B * T * F;
        xClean = device.grow(xClean, 4L * n);
        device.kernels.copy(Math.toIntExact(n), x, xClean.address());
        RnnPlan.Padding pad = RnnPlan.Padding.of(lengths, T, F);
        if (pad.rows() > 0) {
            padTable = device.grow(padTable, 16L * B);
            device.writeInts(pad.table(), padTable);
            device.kernels.segments(pad.rows(), padTable.address(), 0, xClean.address(), pad.longest());
        }
        return xClean.address();
    }

    /** A device vector of at least {@code n} ones. */
    private long ones(int n) {
        if (ones == null || onesLength < n) {
            ones = device.grow(ones, 4L * n);
            device.kernels.fill(n, ones.address(), 1f);
            onesLength = n;
        }
        return ones.address();
    }

    /** {@code dst} = slot {@code p}'s (B, H) slice of the (layers * directions, B, H) state at {@code src}, or zeros when {@code src} is 0. */
    private void initial(long src, int p, long state, long dst) {
        if (src == 0) device.kernels.fill(Math.toIntExact(state), dst, 0f);
        else device.kernels.copy(Math.toIntExact(state), floatAt(src, p * state), dst);
    }

    /**
     * The backward pass of {@code tr}: dy (B, T, D*H) at {@code dy} (read only), dx to {@code dx} (0:
     * not wanted), state gradients as addresses (0: zeros / not written), parameter gradients
     * added into the canonical {@code dParams}.
     */
    void backward(Trace tr, long dy, long dhy, long dcy, long dx, long dhx, long dcx, long dParams) {
        tr.requireOpen();
        RnnSpec spec = tr.spec();
        int B = tr.batch(), T = tr.steps(), L = spec.layers();
        long seq = (long) B * T * spec.outputSize();
        long dOut = dy;
        for (int l = L - 1; l >= 0; l--) {
            long dIn;
            if (l == 0) {
                dIn = dx;
            } else {   // the gradient handed down to layer l-1, in one of two buffers in turn
                if ((L - 1 - l) % 2 == 0) {
                    seqA = device.grow(seqA, 4 * seq);
                    dIn = seqA.address();
                } else {
                    seqB = device.grow(seqB, 4 * seq);
                    dIn = seqB.address();
                }
            }
            backwardLayer(tr, l, dOut, dhy, dcy, dIn, dhx, dcx, dParams);
            dOut = dIn;
        }
    }

    private void backwardLayer(Trace tr, int l, long dOut, long dhy, long dcy, long dIn, long dhx, long dcx, long dParams) {
        RnnSpec spec = tr.spec(), s = spec.layer(l);
        int B = tr.batch(), T = tr.steps(), F = s.inputSize(), H = s.units(), GH = s.gateWidth(), D = spec.directions();
        int lddy = D * H;
        boolean lstm = s.cell() == RnnSpec.Cell.LSTM;
        int act = KernelLauncher.activationCode(s.activation());
        long in = l == 0 ? tr.x : tr.outputs.get(l - 1).address();
        // NB: dW's GEMM runs over all B*T rows of the input; dgin is 0 at padding, but 0 * NaN is NaN,
        // and the caller's x may hold anything there. Layers above read y, which is 0 at padding.
        if (l == 0 && tr.lengths != null) in = withoutPadding(in, B, T, F, tr.lengths);
        long state = (long) B * H;
        long lengths = tr.lengthsAddress();
        dgin = device.grow(dgin, 4L * B * T * GH);
        dgrec = device.grow(dgrec, 4L * B * T * GH);
        dh = device.grow(dh, 4 * state);
        dc = device.grow(dc, 4 * state);
        for (int d = 0; d < D; d++) {
            int p = l * D + d;
            long at = spec.layerOffset(l) + s.directionOffset(d);
            long base = floatAt(tr.params, at), dBase = floatAt(dParams, at);
            long W = floatAt(base, s.offsetW()), R = floatAt(base, s.offsetR());
            long hs = tr.hs.get(p).address(), cs = tr.cs.get(p).address(), gates = tr.gates.get(p).address();
            long dyd = floatAt(dOut, (long) d * H);
            initial(dhy, p, state, dh.address());
            if (lstm) initial(dcy, p, state, dc.address());
            for (int k = T - 1; k >= 0; k--) {
                int t = timestep(d, k, T);
                long gt = floatAt(gates, (long) k * B * GH), drec = floatAt(dgrec.address(), (long) k * B * GH);
                if (lstm) {
                    device.kernels.lstmStepBackward(B, H, T, t, act, lddy, gt, floatAt(cs, k * state),
                            floatAt(cs, (k + 1) * state), dyd, dh.address(), dc.address(), dgin.address(), drec, lengths);
                } else {
                    device.kernels.gruStepBackward(B, H, T, t, act, lddy, gt, floatAt(hs, k * state),
                            floatAt(cs, (k + 1) * state), dyd, dh.address(), dgin.address(), drec, lengths);
                }
                gemm.run(false, false, B, H, GH, 1f, drec, R, 1f, dh.address());   // dh(t-1) += dgrec(t) (B, GH) R (GH, H)
            }
            if (dhx != 0) device.kernels.copy(Math.toIntExact(state), dh.address(), floatAt(dhx, p * state));
            if (dcx != 0 && lstm) device.kernels.copy(Math.toIntExact(state), dc.address(), floatAt(dcx, p * state));
            // dW (GH, F) += dgin^T (GH, B*T) x (B*T, F); dR (GH, H) += dgrec^T (GH, T*B) hs[0..T-1] (T*B, H)
            gemm.run(true, false, GH, F, B * T, 1f, dgin.address(), in, 1f, floatAt(dBase, s.offsetW()));
            gemm.run(true, false, GH, H, B * T, 1f, dgrec.address(), hs, 1f, floatAt(dBase, s.offsetR()));
            long dBias = floatAt(dBase, s.offsetBias());
            // NB: column sums over B*T rows as one SGEMM with a ones vector, not jrnn_bias_gradient's one
            // thread per column (G*H threads summing thousands of rows each would idle a GPU)
            long one = ones(B * T);
            gemm.run(false, false, 1, GH, B * T, 1f, one, dgin.address(), 1f, dBias);
            if (!lstm) gemm.run(false, false, 1, GH, B * T, 1f, one, dgrec.address(), 1f, floatAt(dBias, GH));
            // dx (B*T, F) = dgin W, the directions' sum (0 at padding: dgin is 0 there)
            if (dIn != 0) gemm.run(false, false, B * T, F, GH, 1f, dgin.address(), W, d == 0 ? 0f : 1f, dIn);
        }
    }

    /** A training pass: its arguments (device addresses), its lengths, and per layer and direction the sequences backward reads. */
    final class Trace extends AbstractRnnTrace {
        final long x, hx, cx, params;
        /** The pass's lengths (null: every sequence T steps), kept for a cuDNN refusal's re-run. */
        final int[] lengths;
        /** By (layer, direction) slot {@code l * D + d}; outputs by layer below the top. */
        final List<DeviceArena.Block> hs = new ArrayList<>(), cs = new ArrayList<>(), gates = new ArrayList<>(),
                outputs = new ArrayList<>();
        /** (B) int32 lengths on the device, or null when every sequence is T steps long. */
        private DeviceArena.Block deviceLengths;

        private Trace(RnnSpec spec, int batch, int steps, int[] lengths, long x, long hx, long cx, long params) {
            super(spec, batch, steps);
            this.x = x;
            this.hx = hx;
            this.cx = cx;
            this.params = params;
            this.lengths = lengths == null ? null : lengths.clone();
            long state = (long) batch * spec.units(), seq = state * steps;
            try {
                for (int l = 0; l < spec.layers(); l++) {
                    for (int d = 0; d < spec.directions(); d++) {
                        hs.add(device.arena.allocate(4 * (seq + state)));
                        cs.add(device.arena.allocate(4 * (seq + state)));
                        gates.add(device.arena.allocate(4 * seq * spec.gates()));
                    }
                    if (l < spec.layers() - 1) outputs.add(device.arena.allocate(4 * seq * spec.directions()));
                }
                if (!RnnSpec.fullLength(lengths, steps)) {
                    deviceLengths = device.arena.allocate(4L * batch);
                    device.writeInts(lengths, deviceLengths);
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** The device lengths' address, 0 when every sequence is T steps long. */
        long lengthsAddress() {
            return deviceLengths == null ? 0L : deviceLengths.address();
        }

        FusedRnn owner() {
            return FusedRnn.this;
        }

        @Override
        protected void release() {
            if (device.isClosed()) return;
            // NB: queued work may still read them; the stream orders their next use after it
            for (List<DeviceArena.Block> blocks : List.of(hs, cs, gates, outputs)) {
                for (DeviceArena.Block b : blocks) device.arena.release(b);
            }
            if (deviceLengths != null) device.arena.release(deviceLengths);
        }
    }
}
