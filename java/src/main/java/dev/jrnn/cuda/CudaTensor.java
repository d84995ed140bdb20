package dev.jrnn.cuda;

import dev.jrnn.backend.Tensor;
import java.util.Objects;
import jcuda.driver.CUdeviceptr;

/**
 * A {@link Tensor} in device memory: {@code size} floats at a device address. A tensor from
 * {@link CudaBackend#allocate} owns an arena block and gives it back on {@link #close}; one from
 * {@link CudaBackend#wrap(long, long)} is a view of the caller's memory, never freed here; a
 * {@link #slice} is a view of its root's memory.
 */
public final class CudaTensor implements Tensor {
    final CudaBackend owner;
    private final CudaTensor root;
    private final DeviceArena.Block block;   // the root's block
    private final long byteOffset;           // from the start of the block
    private final int size;
    private final boolean foreign;           // the caller's memory (wrap): never released to the arena
    private boolean closed;                  // meaningful on the root

    CudaTensor(CudaBackend owner, DeviceArena.Block block, int size) {
        this(owner, block, size, false);
    }

    private CudaTensor(CudaBackend owner, DeviceArena.Block block, int size, boolean foreign) {
        this.owner = owner;
        this.root = this;
        this.block = block;
        this.byteOffset = 0;
        this.size = size;
        this.foreign = foreign;
    }

    /**
     * A view of {@code size} floats of the caller's device memory at {@code address}. NB: the block's
     * JCuda pointer is the null pointer moved by {@code address} bytes: JCuda passes base + offset.
     */
    static CudaTensor foreign(CudaBackend owner, long address, int size) {
        DeviceArena.Block b = new DeviceArena.Block(new CUdeviceptr(), address, address, 4L * size);
        return new CudaTensor(owner, b, size, true);
    }

    private CudaTensor(CudaTensor root, long byteOffset, int size) {
        this.foreign = root.foreign;
        this.owner = root.owner;
        this.root = root;
        this.block = root.block;
        this.byteOffset = byteOffset;
        this.size = size;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public CudaTensor slice(int offset, int length) {
        Objects.checkFromIndexSize(offset, length, size);
        return new CudaTensor(root, byteOffset + 4L * offset, length);
    }

    /** Device address of element 0. */
    public long address() {
        return block.address() + byteOffset;
    }

    /** A JCuda pointer to element {@code index}. */
    CUdeviceptr pointer(int index) {
        return block.pointer(byteOffset + 4L * index);
    }

    /** The tensor that owns the memory (this one unless this is a slice). */
    CudaTensor root() {
        return root;
    }

    boolean isClosed() {
        return root.closed;
    }

    @Override
    public void close() {
        if (root != this || closed) return;
        closed = true;
        owner.release(this, block, foreign);
    }

    @Override
    public String toString() {
        return "CudaTensor[" + size + (closed ? ", closed" : "") + "]";
    }
}
