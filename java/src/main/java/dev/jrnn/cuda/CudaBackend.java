package dev.jrnn.cuda;

import static dev.jrnn.cuda.Driver.check;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.GpuBackend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent_flags;
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
 * fuses nothing else): a relu recurrent layer is an error that says to use the CPU.
 *
 * <p>cuDNN's reserve space. The interface's {@code reserve} tensor is sized for the CPU backends;
 * cuDNN needs its own reserve, of a size only cuDNN knows. NB: the backend keeps, per
 * {@code reserve} tensor (keyed by its device address, i.e. one per layer), a grow-only device
 * buffer of cuDNN's reserve size, together with the plan the forward pass used and, where cuDNN's
 * weight layout differs from the canonical one, the packed weights and their gradient buffer.
 * The forward pass fills it and the backward pass with the same {@code reserve} consumes it; it is
 * freed when the {@code reserve} tensor is closed, or with the backend. The {@code reserve} tensor
 * itself is not written.
 *
 * <p>{@code -Djrnn.cuda.weights=copy}, read when a backend is created, forces the copy-and-map path
 * even where cuDNN's layout is the canonical one (the tests use it to cover both paths).
 * {@code -Djrnn.cuda.rnnAlgo}, also read at creation, picks cuDNN's RNN algorithm: {@code auto}
 * (the default) does what PyTorch does for FP32 ({@link #algoFor}): cuDNN's persistent kernels for
 * small hidden sizes ({@code CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H}) up to 128 units, else the
 * standard algorithm, and the standard one from then on wherever cuDNN refuses the persistent one
 * (when a plan is made, or in a forward or backward pass, which then runs again). {@code standard},
 * {@code persist-static} and {@code persist-static-small-h} force one.
 *
 * <p>cuDNN runs in one configuration, the one PyTorch runs daily ({@code aten/src/ATen/native/cudnn/RNN.cpp}):
 * {@code CUDNN_RNN_DOUBLE_BIAS} for LSTM and GRU under every algorithm (an LSTM's one bias goes in
 * as the input bias, the recurrent bias is held at zero and its gradient dropped: the same model
 * and numbers), padded I/O enabled, and sequence-major unpacked data: x goes to cuDNN as
 * (T, B, F) and y comes back as (T, B, H), one {@code jrnn_swap_major} launch each way, and the
 * forward pass keeps both for backward.
 *
 * <p>One thread at a time, as the {@link Backend} contract says; the backend makes its context
 * current on whichever thread calls it.
 */
public final class CudaBackend implements GpuBackend {
    final CudaContext ctx;
    final DeviceArena arena;
    final Kernels kernels;
    final CudnnLibrary cudnn;
    final CublasLibrary cublas;
    final MemorySegment cudnnHandle, cublasHandle, noDropout;
    private final Driver.DeviceInfo device;
    /** cuDNN's RNN algorithm setting, from {@code -Djrnn.cuda.rnnAlgo} (see the class comment): {@link #ALGO_AUTO} or one algorithm. */
    private final int rnnAlgo;
    /** Under {@code auto}: why cuDNN refused the persistent algorithm, after which every plan is standard; else null. */
    private String persistentRefusal;
    /** {@code -Djrnn.cuda.rnnAlgo=auto} (the default): PyTorch's choice, see {@link #algoFor}. */
    static final int ALGO_AUTO = -1;
    /** Widest layer {@code auto} runs with {@code CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H} (PyTorch's bound for backward). */
    static final int SMALL_H_MAX_UNITS = 128;
    private final Arena hostArena = Arena.ofShared();
    private final MemorySegment gemmScalars;        // {alpha, beta} for cuBLAS (host pointer mode)
    /** Plans by (spec, batch, steps), least recently used first; at most {@link #MAX_PLANS} kept. */
    private final Map<RnnPlan.Key, RnnPlan> plans = new java.util.LinkedHashMap<>(16, 0.75f, true);
    /** NB: variable batch or sequence lengths would otherwise grow cuDNN descriptors without bound. */
    static final int MAX_PLANS = 64;
    private final Map<Long, LayerState> layers = new HashMap<>();   // by the reserve tensor's address
    private final Staging[] staging = new Staging[4];
    private int nextStaging;
    private DeviceArena.Block work;                 // cuDNN workspace
    /** Sequence-major (T, B, .) scratch for cuDNN: x and y of inference passes; dy and dx of backward passes. */
    private DeviceArena.Block seqIn, seqOut;
    private DeviceArena.Block inferencePacked;      // cuDNN-layout weights of inference passes, when not canonical
    private final boolean forceWeightCopy = "copy".equals(System.getProperty("jrnn.cuda.weights"));
    /** Floats per host-to-device piece of {@link #write}: 16 MiB of pinned memory per staging buffer at most. */
    static final int WRITE_CHUNK = 4 << 20;
    private CUevent switchEvent;                    // orders a new stream after the old one (setStream)
    private boolean closed;

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
            int algo = rnnAlgorithm(System.getProperty("jrnn.cuda.rnnAlgo"));   // NB: a bad setting fails before the context is taken
            return new CudaBackend(CudaContext.attach(context, stream), dnn, blas, algo);
        } catch (CudaUnavailableException e) {
            throw new UnsupportedOperationException(e.getMessage(), e);
        } catch (CudaException e) {
            throw new IllegalStateException("CUDA failed to start on the caller's context: " + e.getMessage(), e);
        }
    }

    private CudaBackend(int ordinal) {
        // NB: the setting is parsed before the context is retained, so a bad one leaks nothing
        this(ordinal, rnnAlgorithm(System.getProperty("jrnn.cuda.rnnAlgo")));
    }

    private CudaBackend(int ordinal, int algo) {
        this(openContext(ordinal), CudnnLibrary.load(), CublasLibrary.load(), algo);
    }

    private static CudaContext openContext(int ordinal) {
        CudnnLibrary.load();   // NB: library errors first, before a context is retained
        CublasLibrary.load();
        return new CudaContext(ordinal);
    }

    private CudaBackend(CudaContext context, CudnnLibrary cudnn, CublasLibrary cublas, int algo) {
        this.rnnAlgo = algo;
        this.cudnn = cudnn;
        this.cublas = cublas;
        ctx = context;
        List<AutoCloseable> opened = new ArrayList<>();
        opened.add(ctx);
        try {
            device = Driver.device(ctx.ordinal);
            arena = new DeviceArena(ctx);
            opened.add(arena);
            kernels = new Kernels(ctx);
            opened.add(kernels);
            cublasHandle = cublas.create();
            opened.add(() -> cublas.destroy(cublasHandle));
            cublas.setStream(cublasHandle, ctx.streamHandle);
            cublas.setMathMode(cublasHandle, CublasLibrary.CUBLAS_DEFAULT_MATH);
            cudnnHandle = cudnn.create();
            opened.add(() -> cudnn.destroy(cudnnHandle));
            cudnn.setStream(cudnnHandle, ctx.streamHandle);
            noDropout = cudnn.createDropoutDescriptor();
            opened.add(() -> cudnn.destroyDropoutDescriptor(noDropout));
            cudnn.setNoDropout(noDropout, cudnnHandle);
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
        return "cuda (" + device + "; driver " + Driver.versionString(Driver.status().driverVersion())
                + ", cuDNN " + CudnnLibrary.versionString(cudnn.version) + ", cuBLAS " + cublas.version
                + "; RNN algorithm " + algoDescription() + ")";
    }

    private String algoDescription() {
        if (rnnAlgo != ALGO_AUTO) return RnnPlan.algoName(rnnAlgo);
        if (persistentRefusal != null) return "standard (cuDNN refused persist-static-small-h: " + persistentRefusal + ")";
        return smallHUsable() ? "persist-static-small-h up to " + SMALL_H_MAX_UNITS + " units, else standard" : "standard";
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

    /** cuDNN 8.2.1 or newer on compute capability 6.0 or newer, as PyTorch asks before it uses SMALL_H. */
    private boolean smallHUsable() {
        return cudnn.version >= 8201 && device.ccMajor() >= 6;
    }

    /**
     * The algorithm for a layer: the setting, or under {@code auto} what PyTorch picks for FP32
     * ({@code aten/src/ATen/native/cudnn/RNN.cpp}, {@code get_algo}): cuDNN's persistent kernels for
     * small hidden sizes ({@code CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H}) up to
     * {@value #SMALL_H_MAX_UNITS} units, else the standard algorithm, and the standard one for good
     * once cuDNN has refused the persistent one.
     */
    int algoFor(RnnSpec spec) {
        if (rnnAlgo != ALGO_AUTO) return rnnAlgo;
        return persistentRefusal == null && spec.units() <= SMALL_H_MAX_UNITS && smallHUsable()
                ? CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H : CudnnLibrary.CUDNN_RNN_ALGO_STANDARD;
    }

    /**
     * Whether {@code e} from cuDNN with a plan of {@code algo} makes {@code auto} fall back to the
     * standard algorithm: a refusal ({@link CudnnLibrary#isRefusal}), not a failure in execution,
     * which may have left the context unusable.
     */
    private boolean fallsBack(RuntimeException e, int algo) {
        return rnnAlgo == ALGO_AUTO && algo != CudnnLibrary.CUDNN_RNN_ALGO_STANDARD && e instanceof CudaException c
                && !(c instanceof CudaOutOfMemoryException) && c.call().startsWith("cudnn")
                && CudnnLibrary.isRefusal(CudnnLibrary.major(cudnn.version), c.code());
    }

    private void refusePersistent(CudaException e) {
        persistentRefusal = e.getMessage();
    }

    /** {@code e} with the algorithm named, when it is not the standard one, and how to avoid it. */
    private static RuntimeException withAlgo(RuntimeException e, int algo) {
        if (algo == CudnnLibrary.CUDNN_RNN_ALGO_STANDARD || e instanceof CudaOutOfMemoryException) return e;
        return new IllegalStateException(e.getMessage() + " (with cuDNN's " + RnnPlan.algoName(algo)
                + " RNN algorithm; -Djrnn.cuda.rnnAlgo=standard avoids it)", e);
    }

    @Override
    public String deviceName() {
        return device.name();
    }

    @Override
    public long[] memoryInfo() {
        open();
        return ctx.memoryInfo();
    }

    /** Bytes this backend holds from the driver (its arena), and bytes in live tensors. */
    public long[] arenaBytes() {
        return new long[] {arena.reservedBytes(), arena.inUseBytes()};
    }

    @Override
    public float timeMillis(Runnable ops) {
        open();
        CUevent start = new CUevent(), stop = new CUevent();
        check(cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        try {
            check(cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
            try {
                check(cuEventRecord(start, ctx.stream), "cuEventRecord");
                ops.run();
                ctx.makeCurrent();
                check(cuEventRecord(stop, ctx.stream), "cuEventRecord");
                check(cuEventSynchronize(stop), "cuEventSynchronize");
                float[] ms = {0};
                check(cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
                return ms[0];
            } finally {
                cuEventDestroy(stop);
            }
        } finally {
            cuEventDestroy(start);
        }
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
        return ctx.stream;
    }

    @Override
    public void setStream(CUstream stream) {
        open();
        long handle = stream == null ? 0L : Driver.nativeHandle(stream);
        // NB: jrnn's own buffers (cuDNN workspace and reserves, arena blocks handed out again) were
        // last used on the old stream; the new stream waits for that work on the device, no host sync.
        // First, so that a stream the driver refuses leaves everything on the old one.
        if (switchEvent == null) {
            CUevent e = new CUevent();
            check(cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
            switchEvent = e;
        }
        check(cuEventRecord(switchEvent, ctx.stream), "cuEventRecord(the previous stream)");
        CUstream next = stream == null ? new CUstream() : stream;
        check(cuStreamWaitEvent(next, switchEvent, 0), "cuStreamWaitEvent(the new stream)");
        long old = ctx.streamHandle;
        try {
            cublas.setStream(cublasHandle, handle);
            cudnn.setStream(cudnnHandle, handle);
        } catch (RuntimeException e) {
            cublas.setStream(cublasHandle, old);   // both back on the old stream
            cudnn.setStream(cudnnHandle, old);
            throw e;
        }
        ctx.useStream(stream);
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    public CudaTensor allocate(int size) {
        if (size < 0) throw new IllegalArgumentException("tensor size must be >= 0, found " + size);
        open();
        DeviceArena.Block b = arena.allocate(4L * Math.max(1, size));
        kernels.fill(Math.max(1, size), b.address(), 0f);   // NB: zeros, as the interface promises; a launch through Panama
        return new CudaTensor(this, b, size);
    }

    /** Called by {@link CudaTensor#close()} on a root tensor; {@code foreign}: the caller's memory. */
    void release(CudaTensor t, DeviceArena.Block block, boolean foreign) {
        if (closed) return;
        long lo = block.address(), hi = lo + Math.max(1, block.bytes());
        for (Iterator<Map.Entry<Long, LayerState>> it = layers.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, LayerState> e = it.next();
            if (e.getKey() >= lo && e.getKey() < hi) {
                e.getValue().release();
                it.remove();
            }
        }
        // NB: queued work may still read the block; the stream orders any later reuse after it.
        if (!foreign) arena.release(block);
    }

    @Override
    public void write(float[] src, int srcOffset, Tensor dst, int length) {
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        CudaTensor d = dev(dst, length, "write destination");
        // NB: in pieces of at most WRITE_CHUNK floats, so the pinned staging buffers stay small when a
        // whole dataset goes up; the ring lets one piece's copy overlap the next one's staging.
        for (int done = 0; done < length; done += WRITE_CHUNK) {
            int from = srcOffset + done, n = Math.min(WRITE_CHUNK, length - done);
            upload(d.pointer(done), 4L * n, b -> b.asFloatBuffer().put(src, from, n));
        }
    }

    /** {@code src} into device block {@code dst}, in stream order through the pinned staging buffers (as {@link #write}). */
    void writeInts(int[] src, DeviceArena.Block dst) {
        if (4L * src.length > dst.bytes()) throw new IllegalArgumentException(src.length + " ints do not fit " + dst.bytes() + " bytes");
        if (src.length == 0) return;
        open();
        upload(dst.pointer(0), 4L * src.length, b -> b.asIntBuffer().put(src));
    }

    /** Queues a copy of {@code bytes} that {@code fill} puts into the next staging buffer, to {@code dst}. */
    private void upload(CUdeviceptr dst, long bytes, java.util.function.Consumer<ByteBuffer> fill) {
        Staging s = staging(bytes);
        s.buffer.clear();
        fill.accept(s.buffer);
        check(cuMemcpyHtoDAsync(dst, s.host, bytes, ctx.stream), "cuMemcpyHtoDAsync(" + bytes + " bytes)");
        s.record();
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        CudaTensor s = dev(src, length, "read source");
        if (length == 0) return;
        Staging st = staging(4L * length);
        check(cuMemcpyDtoHAsync(st.host, s.pointer(0), 4L * length, ctx.stream), "cuMemcpyDtoHAsync(" + 4L * length + " bytes)");
        st.record();
        st.await();
        st.buffer.clear();
        st.buffer.asFloatBuffer().get(dst, dstOffset, length);
    }

    @Override
    public void fill(Tensor t, float value) {
        CudaTensor d = dev(t, 0, "fill");
        kernels.fill(d.size(), d.address(), value);
    }

    /** Sets every element of {@code t} to the int32 {@code value} (sequence lengths). */
    void fillInt(CudaTensor t, int value) {
        check(cuMemsetD32Async(t.pointer(0), value, t.size(), ctx.stream), "cuMemsetD32Async");
    }

    @Override
    public void synchronize() {
        open();
        ctx.synchronize();
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
        CudaTensor A = dev(a, (long) m * k, transA ? "gemm A (k, m)" : "gemm A (m, k)");
        CudaTensor B = dev(b, (long) k * n, transB ? "gemm B (n, k)" : "gemm B (k, n)");
        CudaTensor C = dev(c, (long) m * n, "gemm C (m, n)");
        if (m == 0 || n == 0) return;
        gemmScalars.setAtIndex(ValueLayout.JAVA_FLOAT, 0, alpha);
        gemmScalars.setAtIndex(ValueLayout.JAVA_FLOAT, 1, beta);
        int ldb = transB ? k : n, lda = transA ? m : k;
        cublas.sgemm(cublasHandle, transB ? CublasLibrary.CUBLAS_OP_T : CublasLibrary.CUBLAS_OP_N,
                transA ? CublasLibrary.CUBLAS_OP_T : CublasLibrary.CUBLAS_OP_N, n, m, Math.max(k, 0), gemmScalars,
                B.address(), Math.max(1, ldb), A.address(), Math.max(1, lda), C.address(), Math.max(1, n));
    }

    @Override
    public void biasActivation(int rows, int cols, Tensor y, Tensor bias, Activation act) {
        if (act == Activation.SOFTMAX) throw new IllegalArgumentException("biasActivation does not take softmax");
        CudaTensor Y = dev(y, (long) rows * cols, "biasActivation y (rows, cols)");
        CudaTensor b = dev(bias, cols, "biasActivation bias (cols)");
        kernels.biasActivation(rows, cols, Y.address(), b.address(), act);
    }

    @Override
    public void activationBackward(int n, Activation act, Tensor y, Tensor dy) {
        CudaTensor Y = dev(y, n, "activationBackward y (n)"), D = dev(dy, n, "activationBackward dy (n)");
        kernels.activationBackward(n, act, Y.address(), D.address());
    }

    @Override
    public void biasGradient(int rows, int cols, Tensor dy, Tensor db) {
        CudaTensor D = dev(dy, (long) rows * cols, "biasGradient dy (rows, cols)"), B = dev(db, cols, "biasGradient db (cols)");
        kernels.biasGradient(rows, cols, D.address(), B.address());
    }

    // ---- recurrent layers --------------------------------------------------------------------

    /** What one layer's forward pass left for its backward pass (see the class comment). */
    private final class LayerState {
        RnnPlan plan;
        DeviceArena.Block reserve, packed, dPacked;
        /** The forward pass's x (T, B, F) and y (T, B, H), sequence-major as cuDNN took and wrote them. */
        DeviceArena.Block xSeq, ySeq;
        long weights;   // the weight space the forward pass used
        List<RnnPlan.Segment> packedLayout;   // the layout last packed into packed, whose unmapped pieces are 0

        void ensure(RnnPlan p, RnnSpec spec, int batch, int steps) {
            reserve = grow(reserve, p.reserveBytes);
            xSeq = grow(xSeq, 4L * batch * steps * spec.inputSize());
            ySeq = grow(ySeq, 4L * batch * steps * spec.units());
            plan = p;   // NB: only once the buffers fit it
        }

        void ensurePacked(RnnPlan p) {
            // NB: both sizes checked, so a failure to grow dPacked (caught) is retried next time
            if (packed == null || packed.bytes() < p.weightSpaceBytes || dPacked == null || dPacked.bytes() < p.weightSpaceBytes) {
                packed = grow(packed, p.weightSpaceBytes);
                zero(packed);
                packedLayout = null;
                dPacked = grow(dPacked, p.weightSpaceBytes);
            }
        }

        void release() {
            for (DeviceArena.Block b : new DeviceArena.Block[] {reserve, packed, dPacked, xSeq, ySeq}) if (b != null) arena.release(b);
            reserve = packed = dPacked = xSeq = ySeq = null;
            packedLayout = null;
        }
    }

    private DeviceArena.Block grow(DeviceArena.Block b, long bytes) {
        if (b != null && b.bytes() >= bytes) return b;
        // NB: the new block first: should it fail (out of memory), the caller still owns b
        DeviceArena.Block bigger = arena.allocate(Math.max(1, bytes));
        if (b != null) arena.release(b);
        return bigger;
    }

    private void zero(DeviceArena.Block b) {
        kernels.fill(Math.toIntExact(b.bytes() / 4), b.address(), 0f);   // NB: a launch through Panama, not JCuda's memset
    }

    private boolean usesCanonicalWeights(RnnPlan p, long paramsAddress) {
        return p.identity && !forceWeightCopy && paramsAddress % DeviceArena.ALIGN == 0;
    }

    /** Plans cached now (for tests). */
    int planCount() {
        return plans.size();
    }

    /** Closes the least recently used plan that no layer's pending backward pass still needs. */
    private void evictPlan() {
        java.util.Set<RnnPlan> held = new java.util.HashSet<>();
        for (LayerState s : layers.values()) held.add(s.plan);
        for (Iterator<RnnPlan> it = plans.values().iterator(); it.hasNext(); ) {
            RnnPlan p = it.next();
            if (!held.contains(p)) {
                it.remove();
                p.close();   // NB: queued work may still read its sequence lengths; the stream orders reuse after it
                return;
            }
        }
    }

    private RnnPlan plan(RnnSpec spec, int batch, int steps) {
        int algo = algoFor(spec);
        RnnPlan.Key key = RnnPlan.Key.of(spec, batch, steps, algo);
        RnnPlan p = plans.get(key);
        if (p == null) {
            if (plans.size() >= MAX_PLANS) evictPlan();
            try {
                p = new RnnPlan(this, spec, batch, steps, algo);
            } catch (RuntimeException e) {
                if (!fallsBack(e, algo)) throw withAlgo(e, algo);
                refusePersistent((CudaException) e);
                return retried(e, () -> plan(spec, batch, steps));   // now standard
            }
            plans.put(key, p);
        }
        return p;
    }

    private static void requireTanh(RnnSpec spec) {
        if (spec.activation() != Activation.TANH) {
            throw new UnsupportedOperationException("the CUDA backend runs " + spec.cell() + " cells with tanh only"
                    + " (cuDNN fuses no other cell activation), found activation=" + spec.activation().keyword()
                    + ": use --backend cpu for relu cells, or --activation tanh");
        }
    }

    @Override
    public void rnnForward(RnnSpec spec, int batch, int steps, Tensor x, Tensor hx, Tensor cx, Tensor params,
                           Tensor y, Tensor hy, Tensor cy, Tensor reserve) {
        requireTanh(spec);
        spec.checkCellStates("rnnForward", "cx", cx, "cy", cy);
        checkBatchSteps(batch, steps);
        CudaTensor X = dev(x, (long) batch * steps * spec.inputSize(), "rnnForward x (B, T, F)");
        CudaTensor P = dev(params, spec.paramCount(), "rnnForward params");
        CudaTensor Y = dev(y, (long) batch * steps * spec.units(), "rnnForward y (B, T, H)");
        CudaTensor R = reserve == null ? null : dev(reserve, 0, "rnnForward reserve");
        long state = (long) spec.layers() * batch * spec.units();   // (layers, B, H)
        long hxA = address(hx, state, "rnnForward hx (layers, B, H)"), cxA = address(cx, state, "rnnForward cx (layers, B, H)");
        long hyA = address(hy, state, "rnnForward hy (layers, B, H)"), cyA = address(cy, state, "rnnForward cy (layers, B, H)");
        RnnPlan p = plan(spec, batch, steps);
        long weights, workBytes, reserveBytes, reserveAddress;
        DeviceArena.Block xs, ys;   // x and y sequence-major, as cuDNN takes them
        if (R == null) {   // inference: no backward follows, so no reserve and no layer state
            weights = P.address();
            if (!usesCanonicalWeights(p, weights)) {
                if (inferencePacked == null || inferencePacked.bytes() < p.weightSpaceBytes) {
                    inferencePacked = grow(inferencePacked, p.weightSpaceBytes);
                    zero(inferencePacked);   // cuDNN's padding, if any, stays 0
                }
                pack(p, P, inferencePacked, true);   // NB: shared by every layout: its unmapped pieces may hold another's weights
                weights = inferencePacked.address();
            }
            workBytes = p.inferenceWorkBytes;
            reserveBytes = reserveAddress = 0;
            xs = seqIn = grow(seqIn, 4L * batch * steps * spec.inputSize());
            ys = seqOut = grow(seqOut, 4L * batch * steps * spec.units());
        } else {
            LayerState s = layers.computeIfAbsent(R.address(), k -> new LayerState());
            s.ensure(p, spec, batch, steps);
            weights = s.weights = weightsFor(p, s, P);
            workBytes = p.workBytes;
            reserveBytes = p.reserveBytes;
            reserveAddress = s.reserve.address();
            xs = s.xSeq;
            ys = s.ySeq;
        }
        work = grow(work, workBytes);
        // NB: cuDNN gets sequence-major data, as PyTorch gives it (jrnn's API is batch-major): x (B, T, F) -> (T, B, F)
        kernels.swapMajor(batch, steps, spec.inputSize(), X.address(), xs.address());
        try {
            cudnn.forward(cudnnHandle, p.rnn, R == null ? CudnnLibrary.CUDNN_FWD_MODE_INFERENCE : CudnnLibrary.CUDNN_FWD_MODE_TRAINING,
                    p.seqLengths.address(), p.xDesc, xs.address(), p.yDesc, ys.address(), p.hDesc, hxA, hyA, p.hDesc, cxA, cyA,
                    p.weightSpaceBytes, weights, workBytes, work.address(), reserveBytes, reserveAddress);
        } catch (RuntimeException e) {
            if (!fallsBack(e, p.algo)) throw withAlgo(e, p.algo);
            refusePersistent((CudaException) e);
            retried(e, () -> {   // again, standard
                rnnForward(spec, batch, steps, x, hx, cx, params, y, hy, cy, reserve);
                return null;
            });
            return;
        }
        kernels.swapMajor(steps, batch, spec.units(), ys.address(), Y.address());   // y (T, B, H) -> (B, T, H)
    }

    /** Runs a retry after {@code first}; should it fail too, its exception carries {@code first} as suppressed. */
    private static <T> T retried(RuntimeException first, java.util.function.Supplier<T> retry) {
        try {
            return retry.get();
        } catch (RuntimeException again) {
            if (again != first) again.addSuppressed(first);
            throw again;
        }
    }

    /**
     * Copies the canonical {@code params} into cuDNN's weight layout in {@code packed}, matrix by
     * matrix, and, with {@code zeroUnmapped}, zeroes the pieces no canonical parameter maps to (for
     * a buffer that may have held another layout's weights there).
     */
    private void pack(RnnPlan p, CudaTensor params, DeviceArena.Block packed, boolean zeroUnmapped) {
        // NB: one launch for every matrix and bias (and the unmapped pieces), not one copy each
        kernels.segments(zeroUnmapped ? p.packZeroRows : p.tableRows, p.packTable(), params.address(),
                packed.address(), p.longestSegment);
    }

    /** The weight space to hand cuDNN: the canonical params themselves, or a packed copy. */
    private long weightsFor(RnnPlan p, LayerState s, CudaTensor params) {
        if (usesCanonicalWeights(p, params.address())) return params.address();
        s.ensurePacked(p);
        // NB: packing the same layout again leaves its unmapped pieces as they were: zero
        boolean sameLayout = p.segments.equals(s.packedLayout);
        pack(p, params, s.packed, !sameLayout);
        s.packedLayout = p.segments;
        return s.packed.address();
    }

    @Override
    public void rnnBackward(RnnSpec spec, int batch, int steps, Tensor x, Tensor hx, Tensor cx, Tensor params,
                            Tensor y, Tensor reserve, Tensor dy, Tensor dhy, Tensor dcy,
                            Tensor dx, Tensor dhx, Tensor dcx, Tensor dParams) {
        requireTanh(spec);
        spec.checkCellStates("rnnBackward", "cx", cx, "dcy", dcy, "dcx", dcx);
        checkBatchSteps(batch, steps);
        long n = (long) batch * steps;
        CudaTensor X = dev(x, n * spec.inputSize(), "rnnBackward x (B, T, F)");
        CudaTensor P = dev(params, spec.paramCount(), "rnnBackward params");
        CudaTensor Y = dev(y, n * spec.units(), "rnnBackward y (B, T, H)");
        CudaTensor R = dev(reserve, 0, "rnnBackward reserve");
        CudaTensor DY = dev(dy, n * spec.units(), "rnnBackward dy (B, T, H)");
        CudaTensor DX = dx == null ? null : dev(dx, n * spec.inputSize(), "rnnBackward dx (B, T, F)");
        CudaTensor DP = dev(dParams, spec.paramCount(), "rnnBackward dParams");
        long state = (long) spec.layers() * batch * spec.units();   // (layers, B, H)
        long hxA = address(hx, state, "rnnBackward hx (layers, B, H)"), cxA = address(cx, state, "rnnBackward cx (layers, B, H)");
        long dhyA = address(dhy, state, "rnnBackward dhy (layers, B, H)"), dcyA = address(dcy, state, "rnnBackward dcy (layers, B, H)");
        long dhxA = address(dhx, state, "rnnBackward dhx (layers, B, H)"), dcxA = address(dcx, state, "rnnBackward dcx (layers, B, H)");
        LayerState s = layers.get(R.address());
        RnnPlan.Key key = RnnPlan.Key.of(spec, batch, steps, s == null ? algoFor(spec) : s.plan.algo);
        if (s == null || !s.plan.key.equals(key)) {
            throw new IllegalStateException("rnnBackward for " + key + " needs the rnnForward of the same shape with the"
                    + " same reserve tensor first; " + (s == null ? "there was none" : "the last one was " + s.plan.key));
        }
        RnnPlan p = s.plan;
        boolean canonical = usesCanonicalWeights(p, P.address());
        long weights = canonical ? P.address() : s.packed.address();
        if (weights != s.weights) {
            throw new IllegalStateException("rnnBackward for " + key + ": params are not the tensor rnnForward used");
        }
        work = grow(work, p.workBytes);
        // NB: sequence-major as cuDNN takes them: dy (B, T, H) -> (T, B, H) here, dx (T, B, F) -> (B, T, F)
        // below; x and y as the forward pass kept them
        seqIn = grow(seqIn, 4 * n * spec.units());
        seqOut = grow(seqOut, 4 * n * spec.inputSize());
        long dySeq = seqIn.address(), dxSeq = seqOut.address();
        kernels.swapMajor(batch, steps, spec.units(), DY.address(), dySeq);
        try {
            cudnn.backwardData(cudnnHandle, p.rnn, p.seqLengths.address(), p.yDesc, s.ySeq.address(), dySeq,
                    p.xDesc, dxSeq, p.hDesc, hxA, dhyA, dhxA, p.hDesc, cxA, dcyA, dcxA, p.weightSpaceBytes, weights,
                    p.workBytes, work.address(), p.reserveBytes, s.reserve.address());
            // NB: a refusal here has added nothing to dParams yet, so the retry below adds once.
            // CUDNN_WGRAD_MODE_ADD accumulates straight into the canonical gradients when cuDNN uses
            // the canonical layout, as the interface asks; else into a zeroed copy, mapped back below.
            if (!canonical) zero(s.dPacked);
            cudnn.backwardWeights(cudnnHandle, p.rnn, p.seqLengths.address(), p.xDesc, s.xSeq.address(), p.hDesc,
                    hxA, p.yDesc, s.ySeq.address(), p.weightSpaceBytes, canonical ? DP.address() : s.dPacked.address(),
                    p.workBytes, work.address(), p.reserveBytes, s.reserve.address());
        } catch (RuntimeException e) {
            if (!fallsBack(e, p.algo)) throw withAlgo(e, p.algo);
            // NB: the reserve belongs to the refused algorithm: the forward pass runs again, standard
            // (y is rewritten with what it holds up to float rounding), then this backward pass
            refusePersistent((CudaException) e);
            retried(e, () -> {
                rnnForward(spec, batch, steps, x, hx, cx, params, y, null, null, reserve);
                rnnBackward(spec, batch, steps, x, hx, cx, params, y, reserve, dy, dhy, dcy, dx, dhx, dcx, dParams);
                return null;
            });
            return;
        }
        if (!canonical) kernels.segments(p.tableRows, p.gradTable(), s.dPacked.address(), DP.address(), p.longestSegment);
        if (DX != null) kernels.swapMajor(steps, batch, spec.inputSize(), dxSeq, DX.address());
    }

    private static void checkBatchSteps(int batch, int steps) {
        if (batch <= 0 || steps <= 0) {
            throw new IllegalArgumentException("batch and steps must be positive, found " + batch + " and " + steps);
        }
    }

    @Override
    public void lastStep(int batch, int steps, int width, Tensor seq, Tensor out) {
        CudaTensor S = dev(seq, (long) batch * steps * width, "lastStep seq (B, T, W)");
        CudaTensor O = dev(out, (long) batch * width, "lastStep out (B, W)");
        kernels.lastStep(batch, steps, width, S.address(), O.address());
    }

    @Override
    public void lastStepBackward(int batch, int steps, int width, Tensor dOut, Tensor dSeq) {
        CudaTensor D = dev(dOut, (long) batch * width, "lastStepBackward dOut (B, W)");
        CudaTensor S = dev(dSeq, (long) batch * steps * width, "lastStepBackward dSeq (B, T, W)");
        kernels.lastStepBackward(batch, steps, width, D.address(), S.address());
    }

    @Override
    public void gatherRows(int rows, int width, Tensor src, Tensor index, Tensor dst) {
        if (rows < 0 || width < 0) throw new IllegalArgumentException("gatherRows sizes must be >= 0, found " + rows + " x " + width);
        CudaTensor S = dev(src, 0, "gatherRows src (N, width)");
        CudaTensor I = dev(index, rows, "gatherRows index (rows)");
        CudaTensor D = dev(dst, (long) rows * width, "gatherRows dst (rows, width)");
        // NB: the kernel cannot throw: an index outside [0, N) copies zeros and is not reported
        kernels.gatherRows(rows, width, width == 0 ? 0 : S.size() / width, S.address(), I.address(), D.address());
    }

    // ---- regularisation, loss, optimiser -----------------------------------------------------

    @Override
    public void dropout(long seed, long step, int salt, float rate, int n, Tensor in, Tensor out) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), found " + rate);
        CudaTensor I = dev(in, n, "dropout in (n)"), O = dev(out, n, "dropout out (n)");
        // NB: the scale in double, as the CPU backends: the kept values then match them bit for bit
        kernels.dropout(n, I.address(), O.address(), seed, step, salt, rate, 1.0 / (1.0 - rate));
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Tensor logits, Tensor labels,
                                    float gradScale, Tensor dLogits, Tensor stats) {
        if (batch <= 0 || classes <= 0) {
            throw new IllegalArgumentException("batch and classes must be positive, found " + batch + " and " + classes);
        }
        CudaTensor L = dev(logits, (long) batch * classes, "softmaxCrossEntropy logits (B, C)");
        CudaTensor Y = dev(labels, batch, "softmaxCrossEntropy labels (B)");
        CudaTensor S = dev(stats, 2, "softmaxCrossEntropy stats (2)");
        long d = dLogits == null ? 0L : dev(dLogits, (long) batch * classes, "softmaxCrossEntropy dLogits (B, C)").address();
        kernels.softmaxXent(batch, classes, L.address(), Y.address(), gradScale, d, S.address());
    }

    @Override
    public void softmax(int rows, int cols, Tensor logits, Tensor probs) {
        CudaTensor L = dev(logits, (long) rows * cols, "softmax logits (rows, cols)");
        CudaTensor P = dev(probs, (long) rows * cols, "softmax probs (rows, cols)");
        kernels.softmaxRows(rows, cols, L.address(), P.address());
    }

    @Override
    public void adam(int n, Tensor params, Tensor grads, Tensor m, Tensor v,
                     float lr, float beta1, float beta2, float eps, long t) {
        if (t < 1) throw new IllegalArgumentException("adam step t is 1-based, found " + t);
        CudaTensor P = dev(params, n, "adam params"), G = dev(grads, n, "adam grads");
        CudaTensor M = dev(m, n, "adam m"), V = dev(v, n, "adam v");
        float alpha = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        kernels.adam(n, P.address(), G.address(), M.address(), V.address(), alpha, beta1, beta2, 1f - beta1, 1f - beta2, eps);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void open() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        ctx.makeCurrent();
    }

    /** The device address of an optional tensor: 0 (cuDNN's NULL) for {@code null}, else as {@link #dev}. */
    private long address(Tensor t, long need, String what) {
        return t == null ? 0L : dev(t, need, what).address();
    }

    /** {@code t} as one of this backend's live tensors holding at least {@code need} floats. */
    private CudaTensor dev(Tensor t, long need, String what) {
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

    /** A pinned host buffer for one transfer, with an event marking when its last copy is done. */
    private final class Staging {
        Pointer host;
        ByteBuffer buffer;
        long bytes;
        final CUevent done = new CUevent();
        boolean pending;

        Staging() {
            check(cuEventCreate(done, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        }

        void ensure(long need) {
            if (need <= bytes) return;
            await();
            if (host != null) check(cuMemFreeHost(host), "cuMemFreeHost");
            long size = Math.max(need, 1L << 20);
            host = new Pointer();
            check(cuMemAllocHost(host, size), "cuMemAllocHost(" + size + " bytes)");
            buffer = host.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
            bytes = size;
        }

        void record() {
            check(cuEventRecord(done, ctx.stream), "cuEventRecord");
            pending = true;
        }

        void await() {
            if (pending) check(cuEventSynchronize(done), "cuEventSynchronize");
            pending = false;
        }

        void free() {
            await();
            if (host != null) check(cuMemFreeHost(host), "cuMemFreeHost");
            check(cuEventDestroy(done), "cuEventDestroy");
        }
    }

    /**
     * The next of a small ring of staging buffers, once its previous copy has finished. NB: a ring,
     * so that writing the next batch does not wait for the device to finish the previous step.
     */
    private Staging staging(long bytes) {
        int i = nextStaging;
        nextStaging = (i + 1) % staging.length;
        if (staging[i] == null) staging[i] = new Staging();
        Staging s = staging[i];
        s.await();
        s.ensure(bytes);
        return s;
    }

    @Override
    public void close() {
        if (closed) return;
        ctx.makeCurrent();
        List<Throwable> errors = new ArrayList<>();
        Runnable[] steps = {
            ctx::synchronize,
            () -> {
                for (RnnPlan p : plans.values()) p.close();
                plans.clear();
            },
            () -> {
                for (LayerState s : layers.values()) s.release();
                layers.clear();
            },
            () -> {
                for (Staging s : staging) if (s != null) s.free();
            },
            () -> {
                if (switchEvent != null) check(cuEventDestroy(switchEvent), "cuEventDestroy");
            },
            () -> cudnn.destroyDropoutDescriptor(noDropout),
            () -> cudnn.destroy(cudnnHandle),
            () -> cublas.destroy(cublasHandle),
            kernels::close,
            () -> {
                closed = true;
                arena.close();
            },
            hostArena::close,
            ctx::close,
        };
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
