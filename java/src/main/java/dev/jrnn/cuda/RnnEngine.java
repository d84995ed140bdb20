package dev.jrnn.cuda;

import dev.jrnn.backend.AbstractRnnTrace;
import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The CUDA backend's recurrent layers on cuDNN: the cuDNN handle, plans ({@link RnnPlan}, cached
 * by shape), the choice of cuDNN's RNN algorithm and the fall-back when cuDNN refuses one, packing
 * canonical weights into cuDNN's layout, and the traces ({@link RnnTrace}) a training forward pass
 * hands its backward pass.
 *
 * <p>Configuration: the one PyTorch runs cuDNN in ({@code aten/src/ATen/native/cudnn/RNN.cpp}):
 * {@code CUDNN_RNN_DOUBLE_BIAS} for LSTM and GRU under every algorithm (an LSTM's one bias goes in
 * as the input bias; the recurrent bias is held at zero and its gradient dropped: the same model
 * and numbers), padded I/O enabled, and sequence-major unpacked data: x goes to cuDNN as
 * (T, B, F) and y comes back as (T, B, D*H) (D directions), one {@code jrnn_swap_major} launch each way.
 *
 * <p>Algorithm ({@code -Djrnn.cuda.rnnAlgo}, read when the backend is created): {@code auto} (the
 * default) does what PyTorch does for FP32 ({@link #algoFor}): cuDNN's persistent kernels for small
 * hidden sizes ({@code CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H}) up to {@value #SMALL_H_MAX_UNITS}
 * units, else the standard algorithm, and the standard one from then on wherever cuDNN refuses
 * the persistent one (when a plan is made, or in a forward or backward pass, which then runs
 * again). {@code standard}, {@code persist-static} and {@code persist-static-small-h} force one.
 * {@code -Djrnn.cuda.weights=copy} forces the copy-and-map weight path even where cuDNN's layout
 * is the canonical one (the tests use it to cover both paths).
 *
 * <p>Real sequences (issue 16): per-sample lengths go to cuDNN as PyTorch passes padded batches,
 * through the data descriptors' host {@code seqLengthArray} and the calls' device
 * {@code devSeqLengths} (both kept by the plan, set again only when the lengths change, see
 * {@link RnnPlan#useLengths}), with a padding fill of 0 so that y is 0 past each length (dx's
 * padding is zeroed after backward data, see {@link RnnPlan#padTable}); under {@code auto} a
 * batch of variable lengths runs the standard algorithm. Bidirectional layers are one
 * {@code CUDNN_BIDIRECTIONAL} descriptor, one call for both directions, the weights of each
 * direction at its pseudo-layer.
 *
 * <p>Traces: a training forward pass returns a {@link Trace} owning cuDNN's reserve space, the
 * plan it ran, the packed weights (where cuDNN's layout is not the canonical one) and the
 * sequence-major x and y; its backward pass reads them, and closing it gives its buffers back
 * for the next pass (a few are kept). No state is keyed by anything the caller passes.
 */
final class RnnEngine implements AutoCloseable {
    /** {@code -Djrnn.cuda.rnnAlgo=auto} (the default): PyTorch's choice, see {@link #algoFor}. */
    static final int ALGO_AUTO = -1;
    /** Widest layer {@code auto} runs with {@code CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H} (PyTorch's bound for backward). */
    static final int SMALL_H_MAX_UNITS = 128;
    /** NB: variable batch or sequence lengths would otherwise grow cuDNN descriptors without bound. */
    static final int MAX_PLANS = 64;
    /** Buffers of closed traces kept for the next forward passes. */
    private static final int MAX_FREE_BUFFERS = 16;

    final CudnnLibrary cudnn;
    final MemorySegment handle, noDropout;
    private final CudaDevice device;
    /** cuDNN's RNN algorithm setting (see the class comment): {@link #ALGO_AUTO} or one algorithm. */
    private final int rnnAlgo;
    /** Under {@code auto}: why cuDNN refused the persistent algorithm, after which every plan is standard; else null. */
    private String persistentRefusal;
    private final boolean forceWeightCopy = "copy".equals(System.getProperty("jrnn.cuda.weights"));
    /** Plans by (spec, batch, steps, algorithm), least recently used first; at most {@link #MAX_PLANS} kept. */
    private final Map<RnnPlan.Key, RnnPlan> plans = new LinkedHashMap<>(16, 0.75f, true);
    private final Set<Trace> live = new HashSet<>();
    private final ArrayDeque<Buffers> freeBuffers = new ArrayDeque<>();
    private DeviceArena.Block work;                 // cuDNN's workspace
    /** Sequence-major (T, B, .) scratch: x and y of inference passes; dy and dx of backward passes. */
    private DeviceArena.Block seqIn, seqOut;
    private DeviceArena.Block inferencePacked;      // cuDNN-layout weights of inference passes, when not canonical

    /** A cuDNN handle on the device's stream; {@code algo} from {@link #rnnAlgorithm}. */
    RnnEngine(CudaDevice device, CudnnLibrary cudnn, int algo) {
        this.device = device;
        this.cudnn = cudnn;
        this.rnnAlgo = algo;
        handle = cudnn.create();
        MemorySegment dropout = null;
        try {
            cudnn.setStream(handle, device.ctx.streamHandle);
            dropout = cudnn.createDropoutDescriptor();
            cudnn.setNoDropout(dropout, handle);
        } catch (RuntimeException e) {
            try {
                if (dropout != null) cudnn.destroyDropoutDescriptor(dropout);
                cudnn.destroy(handle);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        noDropout = dropout;
    }

    /**
     * Parses {@code -Djrnn.cuda.rnnAlgo}: {@code auto} (or unset), {@code standard},
     * {@code persist-static} or {@code persist-static-small-h}; anything else is an error that lists them.
     */
    static int rnnAlgorithm(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(java.util.Locale.ROOT);
        if (n.isEmpty() || n.equals("auto")) return ALGO_AUTO;
        for (int algo : RnnPlan.ALGORITHMS) if (RnnPlan.algoName(algo).equals(n)) return algo;
        throw new IllegalArgumentException("-Djrnn.cuda.rnnAlgo=" + name
                + ": expected auto, standard, persist-static or persist-static-small-h");
    }

    /** For the backend's description: the algorithm setting and what it does here. */
    String algoDescription() {
        if (rnnAlgo != ALGO_AUTO) return RnnPlan.algoName(rnnAlgo);
        if (persistentRefusal != null) return "standard (cuDNN refused persist-static-small-h: " + persistentRefusal + ")";
        return smallHUsable() ? "persist-static-small-h up to " + SMALL_H_MAX_UNITS + " units, else standard" : "standard";
    }

    /** cuDNN 8.2.1 or newer on compute capability 6.0 or newer, as PyTorch asks before it uses SMALL_H. */
    private boolean smallHUsable() {
        return cudnn.version >= 8201 && device.info.ccMajor() >= 6;
    }

    /**
     * The algorithm for a layer: the setting, or under {@code auto} what PyTorch picks for FP32
     * ({@code aten/src/ATen/native/cudnn/RNN.cpp}, {@code get_algo}): cuDNN's persistent kernels for
     * small hidden sizes ({@code CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H}) up to
     * {@value #SMALL_H_MAX_UNITS} units, else the standard algorithm, and the standard one for good
     * once cuDNN has refused the persistent one.
     */
    int algoFor(RnnSpec spec) {
        return algoFor(spec, null, 1);
    }

    /**
     * {@link #algoFor(RnnSpec)} for a pass with {@code lengths}: under {@code auto}, sequences of
     * their own lengths run the standard algorithm, as PyTorch bails out of
     * {@code CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H} for packed input (pytorch/pytorch#73211: that
     * algorithm does not support variable sequence lengths in the batch).
     */
    int algoFor(RnnSpec spec, int[] lengths, int steps) {
        if (rnnAlgo != ALGO_AUTO) return rnnAlgo;
        if (!RnnSpec.fullLength(lengths, steps)) return CudnnLibrary.CUDNN_RNN_ALGO_STANDARD;
        return persistentRefusal == null && spec.units() <= SMALL_H_MAX_UNITS && smallHUsable()
                ? CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H : CudnnLibrary.CUDNN_RNN_ALGO_STANDARD;
    }

    /**
     * Whether {@code e} from cuDNN with a plan of {@code algo} makes {@code auto} fall back to the
     * standard algorithm: a refusal ({@link CudnnLibrary#isRefusal}), not a failure in execution,
     * which may have left the context unusable.
     */
    private boolean fallsBack(RuntimeException e, int algo) {
        return rnnAlgo == ALGO_AUTO && algo != CudnnLibrary.CUDNN_RNN_ALGO_STANDARD && isRefusal(e);
    }

    /**
     * Whether {@code e} (or one of its causes) is this cuDNN refusing a configuration
     * ({@link CudnnLibrary#isRefusal}), not running out of memory or failing in execution.
     */
    boolean isRefusal(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof CudaOutOfMemoryException) return false;
            if (c instanceof CudaException ce && ce.call().startsWith("cudnn")
                    && CudnnLibrary.isRefusal(CudnnLibrary.major(cudnn.version), ce.code())) {
                return true;
            }
        }
        return false;
    }

    /** {@code e} with the algorithm named, when it is not the standard one, and how to avoid it. */
    private static RuntimeException withAlgo(RuntimeException e, int algo) {
        if (algo == CudnnLibrary.CUDNN_RNN_ALGO_STANDARD || e instanceof CudaOutOfMemoryException) return e;
        return new IllegalStateException(e.getMessage() + " (with cuDNN's " + RnnPlan.algoName(algo)
                + " RNN algorithm; -Djrnn.cuda.rnnAlgo=standard avoids it)", e);
    }

    /** Runs a retry after {@code first}; should it fail too, its exception carries {@code first} as suppressed. */
    private static <T> T retried(RuntimeException first, Supplier<T> retry) {
        try {
            return retry.get();
        } catch (RuntimeException again) {
            if (again != first) again.addSuppressed(first);
            throw again;
        }
    }

    /** Points cuDNN at another stream (the backend's {@code setStream}). */
    void setStream(long streamHandle) {
        cudnn.setStream(handle, streamHandle);
    }

    static void requireTanh(RnnSpec spec) {
        if (spec.activation() != Activation.TANH) {
            throw new UnsupportedOperationException("the CUDA backend runs " + spec.cell() + " cells with tanh only"
                    + " (cuDNN fuses no other cell activation), found activation=" + spec.activation().keyword()
                    + ": -Djrnn.cuda.rnnImpl=auto (the default) or jrnn runs relu cells on jrnn's own kernels");
        }
    }

    // ---- plans -------------------------------------------------------------------------------

    /** Plans cached now (for tests). */
    int planCount() {
        return plans.size();
    }

    /** Closes the least recently used plan that no open trace still needs. */
    private void evictPlan() {
        Set<RnnPlan> held = new HashSet<>();
        for (Trace t : live) held.add(t.plan);
        for (Iterator<RnnPlan> it = plans.values().iterator(); it.hasNext(); ) {
            RnnPlan p = it.next();
            if (!held.contains(p)) {
                it.remove();
                p.close();   // NB: queued work may still read its sequence lengths; the stream orders reuse after it
                return;
            }
        }
    }

    /** A new plan of {@code algo}, not cached, for the caller to close (tests: cuDNN's weight mapping for every configuration). */
    RnnPlan newPlan(RnnSpec spec, int batch, int steps, int algo) {
        return new RnnPlan(this, device, spec, batch, steps, algo);
    }

    /** The plan for a pass, its lengths set ({@link RnnPlan#useLengths}). */
    private RnnPlan plan(RnnSpec spec, int batch, int steps, int[] lengths) {
        int algo = algoFor(spec, lengths, steps);
        RnnPlan.Key key = RnnPlan.Key.of(spec, batch, steps, algo);
        RnnPlan p = plans.get(key);
        if (p == null) {
            if (plans.size() >= MAX_PLANS) evictPlan();
            try {
                p = new RnnPlan(this, device, spec, batch, steps, algo);
            } catch (RuntimeException e) {
                if (!fallsBack(e, algo)) throw withAlgo(e, algo);
                persistentRefusal = e.getMessage();
                return retried(e, () -> plan(spec, batch, steps, lengths));   // now standard
            }
            plans.put(key, p);
        }
        p.useLengths(lengths);
        return p;
    }

    // ---- weights -----------------------------------------------------------------------------

    private boolean usesCanonicalWeights(RnnPlan p, long paramsAddress) {
        return p.identity && !forceWeightCopy && paramsAddress % DeviceArena.ALIGN == 0;
    }

    /**
     * Copies the canonical {@code params} into cuDNN's weight layout in {@code packed} and, with
     * {@code zeroUnmapped}, zeroes the pieces no canonical parameter maps to (for a buffer that may
     * have held another layout's weights there). NB: one launch for every matrix and bias.
     */
    private void pack(RnnPlan p, long params, DeviceArena.Block packed, boolean zeroUnmapped) {
        device.kernels.segments(zeroUnmapped ? p.packZeroRows : p.tableRows, p.packTable(), params, packed.address(),
                p.longestSegment);
    }

    // ---- passes ------------------------------------------------------------------------------

    /**
     * One forward pass: x (B, T, F) at {@code x}, y (B, T, D*H) to {@code y} (0 past each length:
     * cuDNN's padding fill), states (layers * D, B, H) as device addresses (0: zeros or not
     * written); {@code lengths} null or B lengths in [1, T]. {@code trace} null: inference; else
     * training, into the trace's buffers (and its plan set).
     */
    private void forward(RnnSpec spec, int batch, int steps, int[] lengths, long x, long hx, long cx, long params, long y,
                         long hy, long cy, Trace trace) {
        RnnPlan p = plan(spec, batch, steps, lengths);
        long weights, workBytes, reserveBytes, reserveAddress;
        DeviceArena.Block xs, ys;   // x and y sequence-major, as cuDNN takes them
        if (trace == null) {   // inference: no backward follows, so no reserve
            weights = params;
            if (!usesCanonicalWeights(p, weights)) {
                if (inferencePacked == null || inferencePacked.bytes() < p.weightSpaceBytes) {
                    inferencePacked = device.grow(inferencePacked, p.weightSpaceBytes);
                    device.zero(inferencePacked);   // cuDNN's padding, if any, stays 0
                }
                pack(p, params, inferencePacked, true);   // NB: shared by every layout: its unmapped pieces may hold another's weights
                weights = inferencePacked.address();
            }
            workBytes = p.inferenceWorkBytes;
            reserveBytes = reserveAddress = 0;
            xs = seqIn = device.grow(seqIn, 4L * batch * steps * spec.inputSize());
            ys = seqOut = device.grow(seqOut, 4L * batch * steps * spec.outputSize());
        } else {
            Buffers b = trace.buffers;
            b.ensure(p, spec, batch, steps);
            trace.plan = p;
            if (usesCanonicalWeights(p, params)) {
                weights = params;
            } else {
                b.ensurePacked(p);
                // NB: packing the same layout again leaves its unmapped pieces as they were: zero
                boolean sameLayout = p.segments.equals(b.packedLayout) && p.weightSpaceBytes == b.packedBytes;
                pack(p, params, b.packed, !sameLayout);
                b.packedLayout = p.segments;
                b.packedBytes = p.weightSpaceBytes;
                weights = b.packed.address();
            }
            workBytes = p.workBytes;
            reserveBytes = p.reserveBytes;
            reserveAddress = b.reserve.address();
            xs = b.xSeq;
            ys = b.ySeq;
        }
        work = device.grow(work, workBytes);
        // NB: cuDNN gets sequence-major data, as PyTorch gives it (jrnn's API is batch-major): x (B, T, F) -> (T, B, F)
        device.kernels.swapMajor(batch, steps, spec.inputSize(), x, xs.address());
        try {
            cudnn.forward(handle, p.rnn, trace == null ? CudnnLibrary.CUDNN_FWD_MODE_INFERENCE : CudnnLibrary.CUDNN_FWD_MODE_TRAINING,
                    p.seqLengths.address(), p.xDesc, xs.address(), p.yDesc, ys.address(), p.hDesc, hx, hy, p.hDesc, cx, cy,
                    p.weightSpaceBytes, weights, workBytes, work.address(), reserveBytes, reserveAddress);
        } catch (RuntimeException e) {
            if (!fallsBack(e, p.algo)) throw withAlgo(e, p.algo);
            persistentRefusal = e.getMessage();
            retried(e, () -> {   // again, standard
                forward(spec, batch, steps, lengths, x, hx, cx, params, y, hy, cy, trace);
                return null;
            });
            return;
        }
        device.kernels.swapMajor(steps, batch, spec.outputSize(), ys.address(), y);   // y (T, B, D*H) -> (B, T, D*H)
    }

    /** An inference pass (see {@link #forward}); arguments checked by the backend. */
    void infer(RnnSpec spec, int batch, int steps, int[] lengths, long x, long hx, long cx, long params, long y, long hy,
               long cy) {
        requireTanh(spec);
        forward(spec, batch, steps, lengths, x, hx, cx, params, y, hy, cy, null);
    }

    /** A training pass; the trace it returns holds what {@link #backward} needs. Arguments checked by the backend. */
    Trace train(RnnSpec spec, int batch, int steps, int[] lengths, long x, long hx, long cx, long params, long y, long hy,
                long cy) {
        requireTanh(spec);
        Buffers b = freeBuffers.pollLast();
        Trace t = new Trace(spec, batch, steps, lengths, x, hx, cx, params, y, b != null ? b : new Buffers());
        try {
            forward(spec, batch, steps, t.lengths, x, hx, cx, params, y, hy, cy, t);
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
        live.add(t);
        return t;
    }

    /**
     * The backward pass of {@code t}: dy (B, T, D*H) at {@code dy} (read only, as
     * {@link CudaBackend} relies on: it passes one kept buffer of zeros for every call without a
     * dy; ignored past each length), dx to
     * {@code dx} (0: not wanted), state gradients as addresses (0: zeros / not written), parameter
     * gradients added into the canonical {@code dParams}.
     */
    void backward(Trace t, long dy, long dhy, long dcy, long dx, long dhx, long dcx, long dParams) {
        t.requireOpen();
        RnnSpec spec = t.spec();
        int batch = t.batch(), steps = t.steps();
        long n = (long) batch * steps;
        RnnPlan p = t.plan;
        p.useLengths(t.lengths);   // NB: another pass may have run this plan with other lengths since
        Buffers b = t.buffers;
        boolean canonicalWeights = usesCanonicalWeights(p, t.params);
        long weights = canonicalWeights ? t.params : b.packed.address();
        // NB: cuDNN's gradients go straight into dParams only where it is aligned as cuDNN needs, else via dPacked
        boolean canonical = canonicalWeights && dParams % DeviceArena.ALIGN == 0;
        if (!canonical) b.ensurePacked(p);
        work = device.grow(work, p.workBytes);
        // NB: sequence-major as cuDNN takes them: dy (B, T, D*H) -> (T, B, D*H) here, dx (T, B, F) ->
        // (B, T, F) below (0 past each length: cuDNN's padding fill); x and y as the forward pass kept them
        seqIn = device.grow(seqIn, 4 * n * spec.outputSize());
        seqOut = device.grow(seqOut, 4 * n * spec.inputSize());
        long dySeq = seqIn.address(), dxSeq = seqOut.address();
        device.kernels.swapMajor(batch, steps, spec.outputSize(), dy, dySeq);
        try {
            cudnn.backwardData(handle, p.rnn, p.seqLengths.address(), p.yDesc, b.ySeq.address(), dySeq,
                    p.xDesc, dxSeq, p.hDesc, t.hx, dhy, dhx, p.hDesc, t.cx, dcy, dcx, p.weightSpaceBytes, weights,
                    p.workBytes, work.address(), p.reserveBytes, b.reserve.address());
            // NB: a refusal here has added nothing to dParams yet, so the retry below adds once.
            // CUDNN_WGRAD_MODE_ADD accumulates straight into the canonical gradients when cuDNN uses
            // the canonical layout, as the interface asks; else into a zeroed copy, mapped back below.
            if (!canonical) device.zero(b.dPacked);
            cudnn.backwardWeights(handle, p.rnn, p.seqLengths.address(), p.xDesc, b.xSeq.address(), p.hDesc,
                    t.hx, p.yDesc, b.ySeq.address(), p.weightSpaceBytes, canonical ? dParams : b.dPacked.address(),
                    p.workBytes, work.address(), p.reserveBytes, b.reserve.address());
        } catch (RuntimeException e) {
            if (!fallsBack(e, p.algo)) throw withAlgo(e, p.algo);
            // NB: the reserve belongs to the refused algorithm: the forward pass runs again, standard
            // (y is rewritten with what it holds up to float rounding), then this backward pass
            persistentRefusal = e.getMessage();
            retried(e, () -> {
                forward(spec, batch, steps, t.lengths, t.x, t.hx, t.cx, t.params, t.y, 0, 0, t);
                backward(t, dy, dhy, dcy, dx, dhx, dcx, dParams);
                return null;
            });
            return;
        }
        if (!canonical) device.kernels.segments(p.tableRows, p.gradTable(), b.dPacked.address(), dParams, p.longestSegment);
        if (dx != 0) {
            device.kernels.swapMajor(steps, batch, spec.inputSize(), dxSeq, dx);
            // NB: dx's padding 0 whatever cuDNN wrote there (see RnnPlan#padTable)
            device.kernels.segments(p.padRows, p.padTable.address(), 0, dx, p.padLongest);
        }
    }

    /** Grow-only device buffers of one trace, kept across traces (see {@link #freeBuffers}). */
    private final class Buffers {
        DeviceArena.Block reserve, packed, dPacked;
        /** The forward pass's x (T, B, F) and y (T, B, D*H), sequence-major as cuDNN took and wrote them. */
        DeviceArena.Block xSeq, ySeq;
        List<RnnPlan.Segment> packedLayout;   // the layout last packed into packed, whose unmapped pieces are 0
        long packedBytes;                     // and its weight space's size

        void ensure(RnnPlan p, RnnSpec spec, int batch, int steps) {
            reserve = device.grow(reserve, p.reserveBytes);
            xSeq = device.grow(xSeq, 4L * batch * steps * spec.inputSize());
            ySeq = device.grow(ySeq, 4L * batch * steps * spec.outputSize());
        }

        void ensurePacked(RnnPlan p) {
            // NB: both sizes checked, so a failure to grow dPacked (caught) is retried next time
            if (packed == null || packed.bytes() < p.weightSpaceBytes || dPacked == null || dPacked.bytes() < p.weightSpaceBytes) {
                packed = device.grow(packed, p.weightSpaceBytes);
                device.zero(packed);
                packedLayout = null;
                dPacked = device.grow(dPacked, p.weightSpaceBytes);
            }
        }

        void release() {
            for (DeviceArena.Block b : new DeviceArena.Block[] {reserve, packed, dPacked, xSeq, ySeq}) {
                if (b != null) device.arena.release(b);
            }
            reserve = packed = dPacked = xSeq = ySeq = null;
            packedLayout = null;
        }
    }

    /** A training forward pass on the GPU: its plan and buffers, and the arguments backward needs (device addresses). */
    final class Trace extends AbstractRnnTrace {
        final long x, hx, cx, params, y;
        /** The pass's lengths, null when every sequence is T steps long (a copy: the caller's array may change). */
        final int[] lengths;
        RnnPlan plan;
        final Buffers buffers;

        private Trace(RnnSpec spec, int batch, int steps, int[] lengths, long x, long hx, long cx, long params, long y,
                      Buffers buffers) {
            super(spec, batch, steps);
            this.lengths = RnnSpec.fullLength(lengths, steps) ? null : lengths.clone();
            this.x = x;
            this.hx = hx;
            this.cx = cx;
            this.params = params;
            this.y = y;
            this.buffers = buffers;
        }

        RnnEngine engine() {
            return RnnEngine.this;
        }

        @Override
        protected void release() {
            live.remove(this);
            // NB: queued work may still use the buffers; the stream orders their next use after it
            if (device.isClosed()) return;
            if (freeBuffers.size() >= MAX_FREE_BUFFERS) freeBuffers.pollFirst().release();
            freeBuffers.addLast(buffers);
        }
    }

    /** Plans, traces and kept buffers released; cuDNN's descriptors and handle destroyed. The device stays. */
    @Override
    public void close() {
        RuntimeException first = null;
        Runnable[] steps = {
            () -> {
                for (RnnPlan p : plans.values()) p.close();
                plans.clear();
            },
            () -> {
                for (Trace t : List.copyOf(live)) t.close();
                for (Buffers b : freeBuffers) b.release();
                freeBuffers.clear();
            },
            () -> cudnn.destroyDropoutDescriptor(noDropout),
            () -> cudnn.destroy(handle),
        };
        for (Runnable r : steps) {
            try {
                r.run();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }
}
