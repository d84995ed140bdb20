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

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;

/**
 * One GPU as the CUDA backend uses it: the context and its stream, the memory arena, jrnn's
 * kernels, events, and the pinned staging buffers through which host data goes up and comes back.
 * Everything here is queued in order on the context's stream. cuDNN and cuBLAS are not here: the
 * RNN engine ({@link RnnEngine}) and the backend ({@link CudaBackend}) hold their handles.
 */
final class CudaDevice implements AutoCloseable {
    final CudaContext ctx;
    final DeviceArena arena;
    final KernelLauncher kernels;
    final Driver.DeviceInfo info;
    /** Floats per host-to-device piece of {@link #write}: 16 MiB of pinned memory per staging buffer at most. */
    static final int WRITE_CHUNK = 4 << 20;
    private final Staging[] staging = new Staging[4];
    private int nextStaging;
    private CUevent switchEvent;                    // orders a new stream after the old one (orderAfterCurrent)
    private boolean closed;

    /** Takes over {@code ctx}: closing the device closes it; should this fail, {@code ctx} is closed too. */
    CudaDevice(CudaContext ctx) {
        this.ctx = ctx;
        List<AutoCloseable> opened = new ArrayList<>();
        opened.add(ctx);
        try {
            info = Driver.device(ctx.ordinal);
            arena = new DeviceArena(ctx);
            opened.add(arena);
            kernels = new KernelLauncher(ctx);
        } catch (RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** Makes the context current on the calling thread; an error once the device is closed. */
    void open() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        ctx.makeCurrent();
    }

    boolean isClosed() {
        return closed;
    }

    // ---- memory ------------------------------------------------------------------------------

    /** {@code b} if it holds {@code bytes}, else a bigger block (and {@code b} released). */
    DeviceArena.Block grow(DeviceArena.Block b, long bytes) {
        if (b != null && b.bytes() >= bytes) return b;
        // NB: the new block first: should it fail (out of memory), the caller still owns b
        DeviceArena.Block bigger = arena.allocate(Math.max(1, bytes));
        if (b != null) arena.release(b);
        return bigger;
    }

    void zero(DeviceArena.Block b) {
        kernels.fill(Math.toIntExact(b.bytes() / 4), b.address(), 0f);   // NB: a launch through Panama, not JCuda's memset
    }

    /** Sets {@code count} int32 at {@code p} to {@code value} (sequence lengths). */
    void fillInt(CUdeviceptr p, int value, long count) {
        check(cuMemsetD32Async(p, value, count, ctx.stream), "cuMemsetD32Async");
    }

    // ---- transfers ---------------------------------------------------------------------------

    /** Queues {@code src[from..from+length)} up to {@code dst} (a pointer per element offset), in pieces. */
    void write(float[] src, int from, java.util.function.IntFunction<CUdeviceptr> dst, int length) {
        // NB: in pieces of at most WRITE_CHUNK floats, so the pinned staging buffers stay small when a
        // whole dataset goes up; the ring lets one piece's copy overlap the next one's staging.
        for (int done = 0; done < length; done += WRITE_CHUNK) {
            int at = from + done, n = Math.min(WRITE_CHUNK, length - done);
            upload(dst.apply(done), 4L * n, b -> b.asFloatBuffer().put(src, at, n));
        }
    }

    /** {@code src} into device block {@code dst}, in stream order through the pinned staging buffers. */
    void writeInts(int[] src, DeviceArena.Block dst) {
        if (4L * src.length > dst.bytes()) throw new IllegalArgumentException(src.length + " ints do not fit " + dst.bytes() + " bytes");
        if (src.length == 0) return;
        open();
        upload(dst.pointer(0), 4L * src.length, b -> b.asIntBuffer().put(src));
    }

    /** Queues a copy of {@code bytes} that {@code fill} puts into the next staging buffer, to {@code dst}. */
    private void upload(CUdeviceptr dst, long bytes, Consumer<ByteBuffer> fill) {
        Staging s = staging(bytes);
        s.buffer.clear();
        fill.accept(s.buffer);
        check(cuMemcpyHtoDAsync(dst, s.host, bytes, ctx.stream), "cuMemcpyHtoDAsync(" + bytes + " bytes)");
        s.record();
    }

    /** Copies {@code length} floats at {@code src} to {@code dst[dstOffset..)}, once the work queued before is done. */
    void read(CUdeviceptr src, float[] dst, int dstOffset, int length) {
        if (length == 0) return;
        Staging st = staging(4L * length);
        check(cuMemcpyDtoHAsync(st.host, src, 4L * length, ctx.stream), "cuMemcpyDtoHAsync(" + 4L * length + " bytes)");
        st.record();
        st.await();
        st.buffer.clear();
        st.buffer.asFloatBuffer().get(dst, dstOffset, length);
    }

    // ---- streams and events ------------------------------------------------------------------

    /** Device milliseconds between an event before {@code ops} and one after. */
    float timeMillis(Runnable ops) {
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

    /**
     * Makes {@code next} ({@code null}: the legacy default stream) wait, on the device, for the
     * work queued so far on the current stream: jrnn's own buffers (cuDNN's workspace and reserves,
     * arena blocks handed out again) were last used there. No host sync.
     */
    void orderAfterCurrent(CUstream next) {
        if (switchEvent == null) {
            CUevent e = new CUevent();
            check(cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
            switchEvent = e;
        }
        check(cuEventRecord(switchEvent, ctx.stream), "cuEventRecord(the previous stream)");
        check(cuStreamWaitEvent(next == null ? new CUstream() : next, switchEvent, 0), "cuStreamWaitEvent(the new stream)");
    }

    void synchronize() {
        open();
        ctx.synchronize();
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

    /** The close steps in order (staging, events, kernels, arena, context), for the backend's close to run and collect errors from. */
    Runnable[] closeSteps() {
        return new Runnable[] {
            () -> {
                for (Staging s : staging) if (s != null) s.free();
            },
            () -> {
                if (switchEvent != null) check(cuEventDestroy(switchEvent), "cuEventDestroy");
            },
            kernels::close,
            () -> {
                closed = true;
                arena.close();
            },
            ctx::close,
        };
    }

    /** Runs {@link #closeSteps()}, stopping at the first failure (the backend's close collects them instead). */
    @Override
    public void close() {
        if (closed) return;
        for (Runnable r : closeSteps()) r.run();
        closed = true;
    }
}
