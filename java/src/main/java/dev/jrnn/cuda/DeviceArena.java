package dev.jrnn.cuda;

import static dev.jrnn.cuda.Driver.check;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;

/**
 * Grow-only device memory for one backend: {@code cuMemAlloc} in chunks of at least 64 MiB,
 * carved into 256-byte aligned blocks. A released block goes to a free list by size and is
 * reused for a later request of the same size class (at most twice as large); memory goes back
 * to the driver only when the arena closes. NB: cudaMalloc-style allocation per tensor would
 * synchronise the device on every free; training allocates the same sizes again and again.
 */
final class DeviceArena implements AutoCloseable {
    static final long ALIGN = 256;
    static final long CHUNK = 64L << 20;

    /** A piece of device memory: {@code bytes} at {@code address}, inside {@code chunk} at {@code offset}. */
    record Block(CUdeviceptr chunk, long offset, long address, long bytes) {
        /** A JCuda pointer to byte {@code at} of the block. */
        CUdeviceptr pointer(long at) {
            return chunk.withByteOffset(offset + at);
        }
    }

    private record Chunk(CUdeviceptr ptr, long address, long size) {}

    private final CudaContext ctx;
    private final List<Chunk> chunks = new ArrayList<>();
    private final TreeMap<Long, ArrayDeque<Block>> free = new TreeMap<>();
    private Chunk current;
    private long used;          // bytes handed out from `current`
    private long reserved;      // bytes held from the driver
    private long inUse;         // bytes in live blocks
    private boolean closed;

    DeviceArena(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** A block of at least {@code bytes} (rounded up to 256). Contents are undefined. */
    Block allocate(long bytes) {
        if (closed) throw new IllegalStateException("the device arena is closed");
        long size = Math.max(ALIGN, (bytes + ALIGN - 1) / ALIGN * ALIGN);
        Map.Entry<Long, ArrayDeque<Block>> e = free.ceilingEntry(size);
        if (e != null && e.getKey() <= 2 * size) {
            Block b = e.getValue().pop();
            if (e.getValue().isEmpty()) free.remove(e.getKey());
            inUse += b.bytes();
            return b;
        }
        if (current == null || current.size() - used < size) {
            long chunkSize = Math.max(CHUNK, size);
            CUdeviceptr p = new CUdeviceptr();
            ctx.makeCurrent();
            int result = cuMemAlloc(p, chunkSize);
            if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY && chunkSize > size) {
                chunkSize = size;   // near the limit: no room for a whole chunk, perhaps for the request
                result = cuMemAlloc(p, chunkSize);
            }
            if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) throw outOfMemory(result, chunkSize);
            check(result, "cuMemAlloc(" + chunkSize + " bytes; this backend holds " + reserved
                    + " bytes, " + inUse + " in use)");
            Chunk fresh = new Chunk(p, Driver.nativeHandle(p), chunkSize);
            // NB: only now that the new chunk exists: after a failure the tail must stay where it is
            if (current != null && current.size() - used >= ALIGN) {   // keep the tail for small requests
                long tail = current.size() - used;
                release(new Block(current.ptr(), used, current.address() + used, tail), false);
            }
            current = fresh;
            chunks.add(current);
            reserved += chunkSize;
            used = 0;
        }
        Block b = new Block(current.ptr(), used, current.address() + used, size);
        used += size;
        inUse += size;
        return b;
    }

    private CudaOutOfMemoryException outOfMemory(int result, long bytes) {
        long free = -1, total = -1;
        try {
            long[] info = ctx.memoryInfo();
            free = info[0];
            total = info[1];
        } catch (RuntimeException ignored) {
            // the message says the free memory is unknown
        }
        return new CudaOutOfMemoryException("cuMemAlloc(" + bytes + " bytes)", result, CUresult.stringFor(result),
                bytes, free, total, reserved);
    }

    /** Returns {@code b} for reuse. */
    void release(Block b) {
        release(b, true);
    }

    private void release(Block b, boolean live) {
        if (closed) return;
        if (live) inUse -= b.bytes();
        free.computeIfAbsent(b.bytes(), k -> new ArrayDeque<>()).push(b);
    }

    /** Bytes held from the driver. */
    long reservedBytes() {
        return reserved;
    }

    /** Bytes in blocks not yet released. */
    long inUseBytes() {
        return inUse;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ctx.makeCurrent();
        RuntimeException first = null;
        for (Chunk c : chunks) {
            try {
                check(cuMemFree(c.ptr()), "cuMemFree(" + c.size() + " bytes)");
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        chunks.clear();
        free.clear();
        if (first != null) throw first;
    }
}
