package dev.jrnn.backend;

/**
 * A flat buffer of numbers owned by a {@link Backend}: host memory on the CPU backends, device
 * memory on the GPU. Shapes are not stored; every op states the shape and row-major layout it
 * expects. Views made by {@link #slice} share memory with their parent and must not outlive it.
 */
public interface Tensor extends AutoCloseable {

    /** {@return the number of elements this tensor (or view) spans} */
    int size();

    /**
     * Returns a view of {@code length} elements starting at element {@code offset}. The view shares
     * memory with this tensor, which keeps owning it: closing the view frees nothing, and the view
     * must not be used after this tensor is closed.
     *
     * @param offset first element of the view, in elements from the start of this tensor
     * @param length number of elements in the view
     * @return a view of elements {@code [offset, offset + length)}
     * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside this
     *                                   tensor
     */
    Tensor slice(int offset, int length);

    /** Releases memory this tensor owns; views and closed tensors ignore the call. */
    @Override
    default void close() {}
}
