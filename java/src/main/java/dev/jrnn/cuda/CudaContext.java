package dev.jrnn.cuda;

import static dev.jrnn.cuda.Driver.check;
import static jcuda.driver.JCudaDriver.cuCtxGetDevice;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * The context and stream a backend queues its work on. Either one device's <em>primary</em>
 * context, retained (so cuDNN and cuBLAS, which use the runtime API and therefore the primary
 * context, work in the same context as our kernels) with a stream of its own; or a caller's
 * context and stream ({@link #attach}), which are neither retained nor destroyed here.
 */
final class CudaContext implements AutoCloseable {
    final int ordinal;
    final CUdevice device = new CUdevice();
    final CUcontext context;
    /** The stream every op is queued on; {@link #useStream} changes it. */
    CUstream stream;
    /** The stream's raw {@code CUstream} (= {@code cudaStream_t}) for cuDNN and cuBLAS; 0 is the legacy default stream. */
    long streamHandle;
    private final boolean owned;     // primary context retained and stream created here
    private final CUstream ownStream;
    /** One pointer for cuCtxGetCurrent; used by one thread at a time, like the context. */
    private final java.lang.foreign.MemorySegment current = java.lang.foreign.Arena.ofAuto().allocate(java.lang.foreign.ValueLayout.ADDRESS);
    private long contextHandle;
    private boolean closed;

    /**
     * A caller's {@code context} (made current on the calling thread while jrnn works) and
     * {@code stream} ({@code null}: the legacy default stream); jrnn never destroys either.
     */
    static CudaContext attach(CUcontext context, CUstream stream) {
        return new CudaContext(context, stream);
    }

    private CudaContext(CUcontext context, CUstream stream) {
        Driver.Status st = Driver.status();
        if (!st.ok()) throw new CudaUnavailableException("CUDA driver: " + st.problem());
        if (context == null) throw new IllegalArgumentException("attach: the context is null; pass the CUcontext your buffers belong to");
        this.context = context;
        this.owned = false;
        this.ownStream = null;
        contextHandle = Driver.nativeHandle(context);
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent(the caller's context)");
        check(cuCtxGetDevice(device), "cuCtxGetDevice");
        this.ordinal = Driver.ordinal(device);
        useStream(stream);
    }

    /** Queues every later op on {@code s} ({@code null}: the legacy default stream). */
    void useStream(CUstream s) {
        stream = s == null ? new CUstream() : s;
        streamHandle = s == null ? 0L : Driver.nativeHandle(s);
    }

    /** Whether the stream ops go to is the one this context created. */
    boolean ownsStream() {
        return owned && stream == ownStream;
    }

    CudaContext(int ordinal) {
        Driver.Status st = Driver.status();
        if (!st.ok()) throw new CudaUnavailableException("CUDA driver: " + st.problem());
        this.ordinal = ordinal;
        this.owned = true;
        this.context = new CUcontext();
        this.ownStream = new CUstream();
        this.stream = ownStream;
        check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain(device " + ordinal + ")");
        try {
            contextHandle = Driver.nativeHandle(context);
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            // NB: a blocking stream (not CU_STREAM_NON_BLOCKING): should any library queue work on the
            // legacy default stream, it stays ordered with ours.
            check(cuStreamCreate(ownStream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
        } catch (RuntimeException e) {
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
        streamHandle = Driver.nativeHandle(ownStream);
    }

    /**
     * Makes the context current on the calling thread unless it already is. NB: asked of the driver
     * on every call, not remembered per thread: another backend, or the caller, may have made
     * another context current on this thread since. The context stays current afterwards, as
     * cuDNN and cuBLAS leave theirs.
     */
    void makeCurrent() {
        // NB: on every op, so through Panama (PanamaDriver); switching, rare, through JCuda
        if (PanamaDriver.currentContext(current) != contextHandle) check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    void synchronize() {
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /** {free, total} device memory in bytes. */
    long[] memoryInfo() {
        makeCurrent();
        long[] free = {0}, total = {0};
        check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        makeCurrent();
        if (!owned) {
            check(cuStreamSynchronize(stream), "cuStreamSynchronize(the caller's stream)");
            return;
        }
        try {
            check(cuStreamSynchronize(stream), "cuStreamSynchronize");
            check(cuStreamDestroy(ownStream), "cuStreamDestroy");
        } finally {
            check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
        }
    }
}
