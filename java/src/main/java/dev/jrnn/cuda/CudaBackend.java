package dev.jrnn.cuda;


import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.GpuBackend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * The GPU backend: cuDNN's fused LSTM/GRU for the recurrent layers, cuBLAS SGEMM for the dense
 * layers, jrnn's kernels ({@code native/*.cu}) for dropout, softmax and cross-entropy, Adam and the
 * element-wise ops. All work is queued in order on one stream of the device's primary context;
 * {@link #read} and {@link #synchronize} wait for it. Memory comes from a grow-only arena.
 *
 * <p>Numerics: FP32 throughout, no TF32 (cuBLAS {@code CUBLAS_DEFAULT_MATH}, cuDNN
 * {@code CUDNN_FMA_MATH}); dropout masks are bit-identical to the CPU backends' (same Philox
 * counters) and the Adam update rounds like {@code VectorBackend}'s. Cells use tanh only (cuDNN
 * fuses nothing else): relu cells run on jrnn's own kernels ({@link FusedRnn}, {@code -Djrnn.cuda.rnnImpl}).
 * Both run bidirectional layers (cuDNN's {@code CUDNN_BIDIRECTIONAL}, one call for both directions)
 * and per-sample lengths (cuDNN's padded sequence-major layout with its sequence-length arrays;
 * jrnn's kernels freeze a sequence's state past its length), with PyTorch's
 * {@code pack_padded_sequence} semantics.
 *
 * <p>It is a facade over two parts: the device ({@link CudaDevice}: context, stream, arena,
 * kernels, events, staging) and the RNN engine ({@link RnnEngine}: cuDNN, plans, algorithm choice,
 * weight packing and the traces a forward pass hands its backward pass; its comment says how
 * cuDNN is configured and which algorithm runs). This class checks arguments, launches the
 * element-wise kernels and calls cuBLAS.
 *
 * <p>One thread at a time, as the {@link Backend} contract says; the backend makes its context
 * current on whichever thread calls it.
 */
public final class CudaBackend implements GpuBackend {
    final CudaDevice device;
    final RnnEngine rnn;
    /** jrnn's own LSTM/GRU kernels: relu cells, and every cell under {@code -Djrnn.cuda.rnnImpl=jrnn}. */
    final FusedRnn fused;
    /** {@code -Djrnn.cuda.rnnImpl}: {@link #IMPL_AUTO}, {@link #IMPL_CUDNN} or {@link #IMPL_JRNN}. */
    private final int rnnImpl;
    static final int IMPL_AUTO = 0, IMPL_CUDNN = 1, IMPL_JRNN = 2;
    /** Under {@code auto}: layers cuDNN refused (with why), which jrnn's kernels run from then on. */
    private final java.util.Map<RnnSpec, String> cudnnRefused = new java.util.LinkedHashMap<>();
    final CublasLibrary cublas;
    final MemorySegment cublasHandle;
    private final Arena hostArena = Arena.ofShared();
    private final MemorySegment gemmScalars;        // {alpha, beta} for cuBLAS (host pointer mode)
    private boolean closed;
    /** Zeros for {@link #rnnBackward} without dy; only ever read (cuDNN's dy is const, jrnn's kernels read it), grown as needed. */
    private CudaTensor zeros;

    /**
     * Opens device {@code ordinal}: driver, primary context, stream, kernels, cuDNN and cuBLAS.
     *
     * @throws CudaUnavailableException naming what is missing
     */
    public static CudaBackend create(int ordinal) {
        String why = CudaSupport.unavailableReason();
        if (why != null) throw new CudaUnavailableException(why);
        int devices = Driver.status().devices();
        if (ordinal < 0 || ordinal >= devices) {
            throw new IllegalArgumentException("no CUDA device " + ordinal + ": the driver reports " + devices
                    + " device" + (devices == 1 ? "" : "s") + ", numbered from 0");
        }
        return new CudaBackend(ordinal);
    }

    /** Device 0; see {@link #create(int)}. */
    public static CudaBackend create() {
        return create(0);
    }

    /** {@link GpuBackend#open}: {@link #create(int)} with the public API's exception type. */
    public static CudaBackend open(int ordinal) {
        try {
            return create(ordinal);
        } catch (CudaUnavailableException e) {
            throw new UnsupportedOperationException(e.getMessage(), e);
        } catch (CudaException e) {
            throw new IllegalStateException("CUDA failed to start on device " + ordinal + ": " + e.getMessage(), e);
        }
    }

    /** {@link GpuBackend#attach}: the caller's context and stream, neither destroyed here. */
    public static CudaBackend attach(CUcontext context, CUstream stream) {
        if (context == null) throw new IllegalArgumentException("attach: the context is null; pass the CUcontext your buffers belong to");
        try {
            String why = CudaSupport.unavailableReason();
            if (why != null) throw new CudaUnavailableException(why);
            CudnnLibrary dnn = CudnnLibrary.load();
            CublasLibrary blas = CublasLibrary.load();
            int algo = RnnEngine.rnnAlgorithm(System.getProperty("jrnn.cuda.rnnAlgo"));   // NB: a bad setting fails before the context is taken
            int impl = rnnImplementation(System.getProperty("jrnn.cuda.rnnImpl"));
            return new CudaBackend(CudaContext.attach(context, stream), dnn, blas, algo, impl);
        } catch (CudaUnavailableException e) {
            throw new UnsupportedOperationException(e.getMessage(), e);
        } catch (CudaException e) {
            throw new IllegalStateException("CUDA failed to start on the caller's context: " + e.getMessage(), e);
        }
    }

    private CudaBackend(int ordinal) {
        // NB: the setting is parsed before the context is retained, so a bad one leaks nothing
        this(ordinal, RnnEngine.rnnAlgorithm(System.getProperty("jrnn.cuda.rnnAlgo")),
                rnnImplementation(System.getProperty("jrnn.cuda.rnnImpl")));
    }

    private CudaBackend(int ordinal, int algo, int impl) {
        this(openContext(ordinal), CudnnLibrary.load(), CublasLibrary.load(), algo, impl);
    }

    private static CudaContext openContext(int ordinal) {
        CudnnLibrary.load();   // NB: library errors first, before a context is retained
        CublasLibrary.load();
        return new CudaContext(ordinal);
    }

    private CudaBackend(CudaContext context, CudnnLibrary cudnn, CublasLibrary cublas, int algo, int impl) {
        this.cublas = cublas;
        this.rnnImpl = impl;
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            device = new CudaDevice(context);   // NB: owns the context from here, closes it should it fail
            opened.add(device);
            cublasHandle = cublas.create();
            opened.add(() -> cublas.destroy(cublasHandle));
            cublas.setStream(cublasHandle, device.ctx.streamHandle);
            cublas.setMathMode(cublasHandle, CublasLibrary.CUBLAS_DEFAULT_MATH);
            rnn = new RnnEngine(device, cudnn, algo);
            opened.add(rnn);
            fused = new FusedRnn(device, this::gemmAt);
            gemmScalars = hostArena.allocate(ValueLayout.JAVA_FLOAT, 2);
        } catch (RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            hostArena.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return "cuda (" + device.info + "; driver " + Driver.versionString(Driver.status().driverVersion())
                + ", cuDNN " + CudnnLibrary.versionString(rnn.cudnn.version) + ", cuBLAS " + cublas.version
                + "; RNN: " + implDescription() + ")";
    }

    /**
     * Parses {@code -Djrnn.cuda.rnnImpl}: {@code auto} (or unset: cuDNN for tanh cells, jrnn's own
     * kernels for relu), {@code cudnn} (cuDNN only: relu cells are an error) or {@code jrnn}
     * (jrnn's kernels for every cell); anything else is an error that lists them.
     */
    static int rnnImplementation(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(java.util.Locale.ROOT);
        return switch (n) {
            case "", "auto" -> IMPL_AUTO;
            case "cudnn" -> IMPL_CUDNN;
            case "jrnn" -> IMPL_JRNN;
            default -> throw new IllegalArgumentException("-Djrnn.cuda.rnnImpl=" + name + ": expected auto, cudnn or jrnn");
        };
    }

    private String implDescription() {
        String cudnn = "cuDNN with RNN algorithm " + rnn.algoDescription();
        return switch (rnnImpl) {
            case IMPL_CUDNN -> cudnn + " for every cell (tanh only)";
            case IMPL_JRNN -> "jrnn's kernels for every cell";
            default -> cudnn + " for tanh cells, jrnn's kernels for relu cells"
                    + (cudnnRefused.isEmpty() ? "" : " and for what cuDNN refused (" + cudnnRefused.keySet().iterator().next()
                    + ": " + cudnnRefused.values().iterator().next() + ")");
        };
    }

    /** Notes that cuDNN refused {@code spec}; the first time, one warning line says so (the description keeps it). */
    private void refused(RnnSpec spec, RuntimeException why) {
        if (cudnnRefused.isEmpty()) {
            System.getLogger(CudaBackend.class.getName()).log(System.Logger.Level.WARNING, "cuDNN refused " + spec + " ("
                    + why.getMessage() + "); jrnn's own kernels run it from now on (-Djrnn.cuda.rnnImpl=cudnn fails instead)");
        }
        cudnnRefused.put(spec, why.getMessage());
    }

    /** Layers cuDNN refused under {@code auto} (for tests: none, where cuDNN must have run everything). */
    java.util.Set<RnnSpec> cudnnRefused() {
        return java.util.Set.copyOf(cudnnRefused.keySet());
    }

    /** Whether jrnn's own kernels run {@code spec} (else cuDNN). */
    private boolean usesJrnnKernels(RnnSpec spec) {
        return rnnImpl == IMPL_JRNN
                || (rnnImpl == IMPL_AUTO && (spec.activation() != Activation.TANH || cudnnRefused.containsKey(spec)));
    }

    /**
     * Under {@code auto}, whether {@code e} is cuDNN refusing a configuration (a bad-parameter or
     * not-supported status from a cuDNN call, anywhere in its causes), which jrnn's kernels then
     * run instead; not an out-of-memory error or a failure in execution.
     */
    private boolean fallsBackToJrnn(RuntimeException e) {
        return rnnImpl == IMPL_AUTO && rnn.isRefusal(e);
    }

    @Override
    public String deviceName() {
        return device.info.name();
    }

    @Override
    public long[] memoryInfo() {
        open();
        return device.ctx.memoryInfo();
    }

    /** Bytes this backend holds from the driver (its arena), and bytes in live tensors. */
    public long[] arenaBytes() {
        return new long[] {device.arena.reservedBytes(), device.arena.inUseBytes()};
    }

    @Override
    public float timeMillis(Runnable ops) {
        return device.timeMillis(ops);
    }

    // ---- the caller's memory and streams ------------------------------------------------------

    @Override
    public CudaTensor wrap(CUdeviceptr pointer, long bytes) {
        if (pointer == null) throw new IllegalArgumentException("wrap: the device pointer is null");
        return wrap(Driver.address(pointer), bytes);
    }

    @Override
    public CudaTensor wrap(long address, long bytes) {
        open();
        if (address == 0) throw new IllegalArgumentException("wrap: the device address is 0 (a null pointer)");
        if (address % 4 != 0) {
            throw new IllegalArgumentException("wrap: device address 0x" + Long.toHexString(address) + " is not 4-byte aligned, as floats need");
        }
        if (bytes < 0 || bytes % 4 != 0 || bytes / 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("wrap: expected a size in bytes that is a multiple of 4 and at most 4 * "
                    + Integer.MAX_VALUE + ", found " + bytes);
        }
        return CudaTensor.foreign(this, address, (int) (bytes / 4));
    }

    @Override
    public CUstream stream() {
        open();
        return device.ctx.stream;
    }

    @Override
    public void setStream(CUstream stream) {
        open();
        long handle = stream == null ? 0L : Driver.nativeHandle(stream);
        // NB: first, so that a stream the driver refuses leaves everything on the old one
        device.orderAfterCurrent(stream);
        long old = device.ctx.streamHandle;
        try {
            cublas.setStream(cublasHandle, handle);
            rnn.setStream(handle);
        } catch (RuntimeException e) {
            cublas.setStream(cublasHandle, old);   // both back on the old stream
            rnn.setStream(old);
            throw e;
        }
        device.ctx.useStream(stream);
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    public CudaTensor allocate(int size) {
        if (size < 0) throw new IllegalArgumentException("tensor size must be >= 0, found " + size);
        open();
        DeviceArena.Block b = device.arena.allocate(4L * Math.max(1, size));
        device.kernels.fill(Math.max(1, size), b.address(), 0f);   // NB: zeros, as the interface promises; a launch through Panama
        return new CudaTensor(this, b, size);
    }

    /** Called by {@link CudaTensor#close()} on a root tensor; {@code foreign}: the caller's memory. */
    void release(CudaTensor t, DeviceArena.Block block, boolean foreign) {
        // NB: queued work may still read the block; the stream orders any later reuse after it.
        if (!closed && !foreign) device.arena.release(block);
    }

    @Override
    public void write(float[] src, int srcOffset, Tensor dst, int length) {
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        CudaTensor d = deviceTensor(dst, length, "write destination");
        device.write(src, srcOffset, d::pointer, length);
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        CudaTensor s = deviceTensor(src, length, "read source");
        device.read(s.pointer(0), dst, dstOffset, length);
    }

    @Override
    public void fill(Tensor t, float value) {
        CudaTensor d = deviceTensor(t, 0, "fill");
        device.kernels.fill(d.size(), d.address(), value);
    }

    @Override
    public void synchronize() {
        device.synchronize();
    }

    // ---- dense algebra -----------------------------------------------------------------------

    /**
     * Row-major {@code C (m, n) = alpha op(A) op(B) + beta C} on column-major cuBLAS: a row-major
     * (r, c) matrix is its column-major transpose, so cuBLAS computes
     * {@code C^T (n, m) = op(B)^T op(A)^T} with the operands swapped and their leading dimensions
     * the row lengths as stored.
     */
    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("gemm sizes must be >= 0, found m=" + m + ", n=" + n + ", k=" + k);
        CudaTensor A = deviceTensor(a, (long) m * k, transA ? "gemm A (k, m)" : "gemm A (m, k)");
        CudaTensor B = deviceTensor(b, (long) k * n, transB ? "gemm B (n, k)" : "gemm B (k, n)");
        CudaTensor C = deviceTensor(c, (long) m * n, "gemm C (m, n)");
        gemmAt(transA, transB, m, n, k, alpha, A.address(), B.address(), beta, C.address());
    }

    /** {@link #gemm} on device addresses, densely packed row-major, sizes already checked. */
    void gemmAt(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, long b, float beta, long c) {
        if (m == 0 || n == 0) return;
        gemmScalars.setAtIndex(ValueLayout.JAVA_FLOAT, 0, alpha);
        gemmScalars.setAtIndex(ValueLayout.JAVA_FLOAT, 1, beta);
        int ldb = transB ? k : n, lda = transA ? m : k;
        cublas.sgemm(cublasHandle, transB ? CublasLibrary.CUBLAS_OP_T : CublasLibrary.CUBLAS_OP_N,
                transA ? CublasLibrary.CUBLAS_OP_T : CublasLibrary.CUBLAS_OP_N, n, m, Math.max(k, 0), gemmScalars,
                b, Math.max(1, ldb), a, Math.max(1, lda), c, Math.max(1, n));
    }

    @Override
    public void biasActivation(int rows, int cols, Tensor y, Tensor bias, Activation act) {
        if (act == Activation.SOFTMAX) throw new IllegalArgumentException("biasActivation does not take softmax");
        CudaTensor Y = deviceTensor(y, (long) rows * cols, "biasActivation y (rows, cols)");
        CudaTensor b = deviceTensor(bias, cols, "biasActivation bias (cols)");
        device.kernels.biasActivation(rows, cols, Y.address(), b.address(), act);
    }

    @Override
    public void activationBackward(int n, Activation act, Tensor y, Tensor dy) {
        CudaTensor Y = deviceTensor(y, n, "activationBackward y (n)"), D = deviceTensor(dy, n, "activationBackward dy (n)");
        device.kernels.activationBackward(n, act, Y.address(), D.address());
    }

    @Override
    public void biasGradient(int rows, int cols, Tensor dy, Tensor db) {
        CudaTensor D = deviceTensor(dy, (long) rows * cols, "biasGradient dy (rows, cols)"), B = deviceTensor(db, cols, "biasGradient db (cols)");
        device.kernels.biasGradient(rows, cols, D.address(), B.address());
    }

    // ---- recurrent layers --------------------------------------------------------------------

    /** Plans cached now (for tests). */
    int planCount() {
        return rnn.planCount();
    }

    /** A forward pass's tensors as device addresses (0 for an absent state), each checked as this backend's. */
    private record Pass(long x, long hx, long cx, long params, long y, long hy, long cy) {}

    /** A backward pass's tensors as device addresses (0 for an absent one). */
    private record Grads(long dy, long dhy, long dcy, long dx, long dhx, long dcx, long dParams) {}

    /** Checks a forward pass's arguments ({@link RnnSpec#checkForward}) and takes their addresses. */
    private Pass pass(String op, RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, RnnState in, Tensor params,
                      Tensor y, RnnState out) {
        spec.checkForward(op, batch, steps, lengths, x, in, params, y, out);
        long state = (long) spec.stateLayers() * batch * spec.units();   // (layers * directions, B, H)
        return new Pass(deviceTensor(x, 0, op + " x").address(), address(in.h(), state, op + " hx"),
                address(in.c(), state, op + " cx"), deviceTensor(params, 0, op + " params").address(),
                deviceTensor(y, 0, op + " y").address(), address(out.h(), state, op + " hy"), address(out.c(), state, op + " cy"));
    }

    @Override
    public RnnTrace rnnForward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, RnnState initial,
                               Tensor params, Tensor y, RnnState last) {
        Pass p = pass("rnnForward", spec, batch, steps, lengths, x, RnnState.orNone(initial), params, y,
                RnnState.orNone(last));
        if (!usesJrnnKernels(spec)) {
            try {
                return rnn.train(spec, batch, steps, lengths, p.x, p.hx, p.cx, p.params, p.y, p.hy, p.cy);
            } catch (RuntimeException e) {
                if (!fallsBackToJrnn(e)) throw e;
                refused(spec, e);   // from now on on jrnn's kernels
            }
        }
        return fused.train(spec, batch, steps, lengths, p.x, p.hx, p.cx, p.params, p.y, p.hy, p.cy);
    }

    @Override
    public void rnnInfer(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, RnnState initial, Tensor params,
                         Tensor y, RnnState last) {
        Pass p = pass("rnnInfer", spec, batch, steps, lengths, x, RnnState.orNone(initial), params, y,
                RnnState.orNone(last));
        if (!usesJrnnKernels(spec)) {
            try {
                rnn.infer(spec, batch, steps, lengths, p.x, p.hx, p.cx, p.params, p.y, p.hy, p.cy);
                return;
            } catch (RuntimeException e) {
                if (!fallsBackToJrnn(e)) throw e;
                refused(spec, e);   // from now on on jrnn's kernels
            }
        }
        fused.infer(spec, batch, steps, lengths, p.x, p.hx, p.cx, p.params, p.y, p.hy, p.cy);
    }

    @Override
    public void rnnBackward(RnnTrace trace, Tensor dy, RnnState dLast, Tensor dx, RnnState dInitial, Tensor dParams) {
        boolean ours = trace instanceof FusedRnn.Trace f ? f.owner() == fused : trace instanceof RnnEngine.Trace t && t.engine() == rnn;
        if (!ours) {
            throw new IllegalArgumentException("rnnBackward: the trace is not from this CUDA backend's rnnForward, found "
                    + (trace == null ? "null" : trace.getClass().getSimpleName()));
        }
        open();
        RnnState dOut = RnnState.orNone(dLast), dIn = RnnState.orNone(dInitial);
        RnnSpec spec = trace.spec();
        spec.checkBackward("rnnBackward", trace.batch(), trace.steps(), dy, dOut, dx, dIn, dParams);
        long state = (long) spec.stateLayers() * trace.batch() * spec.units();   // (layers * directions, B, H)
        // NB: without dy (a layer that returns only its final state) cuDNN and jrnn's kernels read zeros
        long dyAt = dy != null ? deviceTensor(dy, 0, "rnnBackward dy").address()
                : zeros((long) trace.batch() * trace.steps() * spec.outputSize()).address();
        Grads g = new Grads(dyAt, address(dOut.h(), state, "rnnBackward dhy"),
                address(dOut.c(), state, "rnnBackward dcy"), dx == null ? 0L : deviceTensor(dx, 0, "rnnBackward dx").address(),
                address(dIn.h(), state, "rnnBackward dhx"), address(dIn.c(), state, "rnnBackward dcx"),
                deviceTensor(dParams, 0, "rnnBackward dParams").address());
        if (trace instanceof FusedRnn.Trace f) {
            fused.backward(f, g.dy, g.dhy, g.dcy, g.dx, g.dhx, g.dcx, g.dParams);
            return;
        }
        RnnEngine.Trace t = (RnnEngine.Trace) trace;
        try {
            rnn.backward(t, g.dy, g.dhy, g.dcy, g.dx, g.dhx, g.dcx, g.dParams);
        } catch (RuntimeException e) {
            if (!fallsBackToJrnn(e)) throw e;
            // NB: a refusal adds nothing to dParams; jrnn's kernels run the forward pass again, then backward
            refused(spec, e);
            try (FusedRnn.Trace again = fused.train(spec, t.batch(), t.steps(), t.lengths, t.x, t.hx, t.cx, t.params, t.y,
                    0, 0)) {
                fused.backward(again, g.dy, g.dhy, g.dcy, g.dx, g.dhx, g.dcx, g.dParams);
            } catch (RuntimeException again) {
                again.addSuppressed(e);
                throw again;
            }
        }
    }

    /** At least {@code n} floats of zeros on the device, kept for the next call. */
    private CudaTensor zeros(long n) {
        if (zeros == null || zeros.size() < n) {
            if (zeros != null) zeros.close();
            zeros = null;
            zeros = allocate(Math.toIntExact(n));
        }
        return zeros;
    }

    @Override
    public void lastStep(int batch, int steps, int width, Tensor seq, Tensor out) {
        CudaTensor S = deviceTensor(seq, (long) batch * steps * width, "lastStep seq (B, T, W)");
        CudaTensor O = deviceTensor(out, (long) batch * width, "lastStep out (B, W)");
        device.kernels.lastStep(batch, steps, width, S.address(), O.address());
    }

    @Override
    public void lastStepBackward(int batch, int steps, int width, Tensor dOut, Tensor dSeq) {
        CudaTensor D = deviceTensor(dOut, (long) batch * width, "lastStepBackward dOut (B, W)");
        CudaTensor S = deviceTensor(dSeq, (long) batch * steps * width, "lastStepBackward dSeq (B, T, W)");
        device.kernels.lastStepBackward(batch, steps, width, D.address(), S.address());
    }

    @Override
    public void gatherRows(int rows, int width, Tensor src, Tensor index, Tensor dst) {
        if (rows < 0 || width < 0) throw new IllegalArgumentException("gatherRows sizes must be >= 0, found " + rows + " x " + width);
        CudaTensor S = deviceTensor(src, 0, "gatherRows src (N, width)");
        CudaTensor I = deviceTensor(index, rows, "gatherRows index (rows)");
        CudaTensor D = deviceTensor(dst, (long) rows * width, "gatherRows dst (rows, width)");
        // NB: the kernel cannot throw: an index outside [0, N) copies zeros and is not reported
        device.kernels.gatherRows(rows, width, width == 0 ? 0 : S.size() / width, S.address(), I.address(), D.address());
    }

    @Override
    public void scatterRows(int rows, int width, Tensor src, Tensor index, Tensor dst) {
        if (rows < 0 || width < 0) throw new IllegalArgumentException("scatterRows sizes must be >= 0, found " + rows + " x " + width);
        CudaTensor S = deviceTensor(src, (long) rows * width, "scatterRows src (rows, width)");
        CudaTensor I = deviceTensor(index, rows, "scatterRows index (rows)");
        CudaTensor D = deviceTensor(dst, 0, "scatterRows dst (N, width)");
        // NB: the kernel cannot throw: an index outside [0, N) writes nothing and is not reported
        device.kernels.scatterRows(rows, width, width == 0 ? 0 : D.size() / width, S.address(), I.address(), D.address());
    }

    // ---- regularisation, loss, optimiser -----------------------------------------------------

    @Override
    public void dropout(long seed, long step, int salt, float rate, int n, Tensor in, Tensor out) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), found " + rate);
        CudaTensor I = deviceTensor(in, n, "dropout in (n)"), O = deviceTensor(out, n, "dropout out (n)");
        // NB: the scale in double, as the CPU backends: the kept values then match them bit for bit
        device.kernels.dropout(n, I.address(), O.address(), seed, step, salt, rate, 1.0 / (1.0 - rate));
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Tensor logits, Tensor labels,
                                    float gradScale, Tensor dLogits, Tensor stats) {
        if (batch <= 0 || classes <= 0) {
            throw new IllegalArgumentException("batch and classes must be positive, found " + batch + " and " + classes);
        }
        CudaTensor L = deviceTensor(logits, (long) batch * classes, "softmaxCrossEntropy logits (B, C)");
        CudaTensor Y = deviceTensor(labels, batch, "softmaxCrossEntropy labels (B)");
        CudaTensor S = deviceTensor(stats, 2, "softmaxCrossEntropy stats (2)");
        long d = dLogits == null ? 0L : deviceTensor(dLogits, (long) batch * classes, "softmaxCrossEntropy dLogits (B, C)").address();
        device.kernels.softmaxXent(batch, classes, L.address(), Y.address(), gradScale, d, S.address());
    }

    @Override
    public void softmax(int rows, int cols, Tensor logits, Tensor probs) {
        CudaTensor L = deviceTensor(logits, (long) rows * cols, "softmax logits (rows, cols)");
        CudaTensor P = deviceTensor(probs, (long) rows * cols, "softmax probs (rows, cols)");
        device.kernels.softmaxRows(rows, cols, L.address(), P.address());
    }

    @Override
    public void adam(int n, Tensor params, Tensor grads, Tensor m, Tensor v,
                     float lr, float beta1, float beta2, float eps, long t) {
        if (t < 1) throw new IllegalArgumentException("adam step t is 1-based, found " + t);
        CudaTensor P = deviceTensor(params, n, "adam params"), G = deviceTensor(grads, n, "adam grads");
        CudaTensor M = deviceTensor(m, n, "adam m"), V = deviceTensor(v, n, "adam v");
        float alpha = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        device.kernels.adam(n, P.address(), G.address(), M.address(), V.address(), alpha, beta1, beta2, 1f - beta1, 1f - beta2, eps);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void open() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        device.open();
    }

    /** The device address of an optional tensor: 0 (cuDNN's NULL) for {@code null}, else as {@link #deviceTensor}. */
    private long address(Tensor t, long need, String what) {
        return t == null ? 0L : deviceTensor(t, need, what).address();
    }

    /** {@code t} as one of this backend's live tensors holding at least {@code need} floats. */
    private CudaTensor deviceTensor(Tensor t, long need, String what) {
        open();
        if (!(t instanceof CudaTensor c) || c.owner != this) {
            throw new IllegalArgumentException(what + ": the CUDA backend takes its own tensors, found "
                    + (t == null ? "null" : t.getClass().getSimpleName() + (t instanceof CudaTensor ? " of another backend" : "")));
        }
        if (c.isClosed()) throw new IllegalStateException(what + ": the tensor was closed");
        if (c.size() < need) {
            throw new IllegalArgumentException(what + ": expected at least " + need + " elements, found " + c.size());
        }
        return c;
    }

    @Override
    public void close() {
        if (closed) return;
        List<Runnable> steps = new ArrayList<>();
        steps.add(device::synchronize);
        steps.add(rnn::close);
        steps.add(() -> cublas.destroy(cublasHandle));
        steps.add(() -> closed = true);
        steps.addAll(List.of(device.closeSteps()));
        steps.add(hostArena::close);
        List<Throwable> errors = new ArrayList<>();
        for (Runnable r : steps) {
            try {
                r.run();
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        closed = true;
        if (!errors.isEmpty()) {
            RuntimeException e = new CudaException("closing the CUDA backend", -1, errors.get(0).getMessage());
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }
}
