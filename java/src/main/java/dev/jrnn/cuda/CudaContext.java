package dev.jrnn.cuda;

import static dev.jrnn.cuda.Driver.check;
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
 * One device's <em>primary</em> context, retained (so cuDNN and cuBLAS, which use the runtime API
 * and therefore the primary context, work in the same context as our kernels) and one stream on
 * which every op of a backend is queued in order.
 */
final class CudaContext implements AutoCloseable {
    final int ordinal;
    final CUdevice device = new CUdevice();
    final CUcontext context = new CUcontext();
    final CUstream stream = new CUstream();
    /** The stream's raw {@code CUstream} (= {@code cudaStream_t}) for cuDNN and cuBLAS. */
    final long streamHandle;
    private Thread current;
    private boolean closed;

    CudaContext(int ordinal) {
        Driver.Status st = Driver.status();
        if (!st.ok()) throw new CudaUnavailableException("CUDA driver: " + st.problem());
        this.ordinal = ordinal;
        check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain(device " + ordinal + ")");
        try {
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            current = Thread.currentThread();
            // NB: a blocking stream (not CU_STREAM_NON_BLOCKING): should any library queue work on the
            // legacy default stream, it stays ordered with ours.
            check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
        } catch (RuntimeException e) {
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
        streamHandle = Driver.nativeHandle(stream);
    }

    /** Makes the context current on the calling thread (a backend may move between threads). */
    void makeCurrent() {
        Thread t = Thread.currentThread();
        if (t != current) {
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            current = t;
        }
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
        try {
            check(cuStreamSynchronize(stream), "cuStreamSynchronize");
            check(cuStreamDestroy(stream), "cuStreamDestroy");
        } finally {
            check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
        }
    }
}
