package dev.jrnn.backend;

/**
 * A flat buffer of numbers owned by a {@link Backend}: host memory on the CPU backends, device
 * memory on the GPU. Shapes are not stored; every op states the shape and row-major layout it
 * expects. Views made by {@link #slice} share memory with their parent and must not outlive it.
 */
public interface Tensor extends AutoCloseable {

    /** Number of elements. */
    int size();

    /** A view of {@code length} elements starting at {@code offset}. */
    Tensor slice(int offset, int length);

    /** Releases memory this tensor owns; views and closed tensors ignore the call. */
    @Override
    default void close() {}
}
