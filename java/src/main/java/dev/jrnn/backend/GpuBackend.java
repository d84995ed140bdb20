package dev.jrnn.backend;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * The CUDA backend as seen by code that owns device memory and streams of its own: every
 * {@link Backend} op, run by cuDNN, cuBLAS and jrnn's kernels, on tensors that may be views of the
 * caller's device buffers ({@link #wrap(CUdeviceptr, long)}), queued on the caller's stream
 * ({@link #setStream}).
 *
 * <p>Ownership: jrnn frees only what it allocated ({@link #allocate} tensors, its workspace and
 * reserve buffers, and, for {@link #open}, its stream). A wrapped tensor's {@link Tensor#close()}
 * only marks the view closed; the caller's buffer must outlive every op queued on it. Work is
 * asynchronous: an op returns once queued on the current stream; {@link #read} and
 * {@link #synchronize} wait for it.
 *
 * <p>Thread safety: one thread at a time, as every {@link Backend}. Each call makes the backend's
 * context current on the calling thread if it is not (and leaves it current, as cuDNN and cuBLAS
 * do), so several backends, or the caller's own context, can take turns on one thread.
 *
 * <p>Errors: a failing CUDA, cuDNN or cuBLAS call raises a {@link RuntimeException} whose message
 * names the call and the error (for example out of memory in {@link #allocate}); its class is
 * internal to jrnn, so catch {@code RuntimeException}.
 *
 * <p>Cells run with tanh only (cuDNN fuses no other cell activation); a relu recurrent layer is an
 * {@link UnsupportedOperationException}.
 */
public interface GpuBackend extends Backend {

    /**
     * Opens device {@code device} on its primary context, with a stream of jrnn's own that
     * {@link #close()} destroys.
     *
     * @param device the CUDA device ordinal, 0 for the first GPU
     * @return a new backend; close it when done
     * @throws UnsupportedOperationException when no usable CUDA driver, device, cuDNN, cuBLAS or
     *         kernel image is present; the message names what is missing and where it was looked for
     * @throws IllegalArgumentException when there is no device {@code device}
     * @throws IllegalStateException when CUDA is present but fails to start (the cause says how)
     */
    static GpuBackend open(int device) {
        return Backends.gpu().open(device);
    }

    /**
     * Runs on the caller's {@code context} and {@code stream}: the context the caller's buffers
     * were allocated in (it is made current on the calling thread while jrnn works) and the stream
     * ops are queued on ({@code null}: the legacy default stream). Neither is destroyed by
     * {@link #close()}, which waits for the current stream and frees jrnn's own memory, handles and
     * kernel module.
     *
     * @param context the caller's CUDA context (for example the device's primary context)
     * @param stream  the caller's stream, or {@code null} for the legacy default stream
     * @return a new backend; close it when done
     * @throws UnsupportedOperationException when cuDNN, cuBLAS or jrnn's kernel image cannot be
     *         loaded; the message names what is missing
     * @throws IllegalArgumentException when {@code context} is {@code null}
     * @throws IllegalStateException when CUDA fails to start on that context (the cause says how)
     */
    static GpuBackend attach(CUcontext context, CUstream stream) {
        return Backends.gpu().attach(context, stream);
    }

    /**
     * A tensor over {@code bytes / 4} floats of the caller's device memory at {@code pointer}
     * (which may carry a byte offset). No copy is made and jrnn never frees the memory.
     *
     * @param pointer device memory in this backend's context, 4-byte aligned
     * @param bytes   its size in bytes, a multiple of 4
     * @return a view of that memory usable in every op of this backend
     * @throws IllegalArgumentException when the pointer is null or unaligned, or {@code bytes} is
     *         negative, not a multiple of 4 or more than {@code 4 * Integer.MAX_VALUE}
     */
    Tensor wrap(CUdeviceptr pointer, long bytes);

    /**
     * A tensor over {@code bytes / 4} floats of the caller's device memory at the raw device
     * address {@code address} (for buffers from other CUDA bindings). No copy is made and jrnn
     * never frees the memory.
     *
     * @param address a device address in this backend's context, 4-byte aligned and not 0
     * @param bytes   the size in bytes, a multiple of 4
     * @return a view of that memory usable in every op of this backend
     * @throws IllegalArgumentException when the address is 0 or unaligned, or {@code bytes} is
     *         negative, not a multiple of 4 or more than {@code 4 * Integer.MAX_VALUE}
     */
    Tensor wrap(long address, long bytes);

    /**
     * The stream ops are queued on now.
     *
     * @return the current stream; a {@code CUstream} with a null handle for the legacy default stream
     */
    CUstream stream();

    /**
     * Queues every later op (cuDNN, cuBLAS, kernels, copies) on {@code stream}. Work already queued
     * stays on the stream it went to, and the new stream first waits, on the device (an event, no
     * host wait), for everything queued on the old one so far, so jrnn's results and its reused
     * buffers stay in order. The stream must stay alive until it is replaced or the backend closed.
     *
     * @param stream a stream of this backend's context, or {@code null} for the legacy default stream
     */
    void setStream(CUstream stream);

    /**
     * The device's name as the driver reports it.
     *
     * @return for example {@code NVIDIA H200}
     */
    String deviceName();

    /**
     * The device's free and total memory.
     *
     * @return {@code {free, total}} in bytes, as {@code cuMemGetInfo} reports them
     */
    long[] memoryInfo();

    /**
     * Device time of the work {@code ops} queues, measured with CUDA events recorded on the
     * current stream before and after it; waits for that work to finish.
     *
     * @param ops queues the work to time
     * @return elapsed device time in milliseconds
     */
    float timeMillis(Runnable ops);

    /**
     * Waits for the current stream, then frees everything jrnn allocated (tensors from
     * {@link #allocate}, workspaces, the cuDNN and cuBLAS handles, the kernel module) and, for
     * {@link #open}, destroys its own stream and releases the primary context. Nothing the caller
     * made is freed or destroyed. Closing twice does nothing.
     */
    @Override
    void close();
}
