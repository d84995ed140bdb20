package dev.jrnn.cpu;

import dev.jrnn.backend.Tensor;
import java.util.Objects;

/** A {@link Tensor} in a Java {@code double[]}: the reference backend's storage. */
public final class DoubleTensor implements Tensor {
    final double[] data;
    final int offset;
    final int size;

    DoubleTensor(double[] data, int offset, int size) {
        Objects.checkFromIndexSize(offset, size, data.length);
        this.data = data;
        this.offset = offset;
        this.size = size;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public DoubleTensor slice(int offset, int length) {
        Objects.checkFromIndexSize(offset, length, size);
        return new DoubleTensor(data, this.offset + offset, length);
    }

    /** Element {@code i} of this view. */
    public double get(int i) {
        return data[offset + Objects.checkIndex(i, size)];
    }

    /** Sets element {@code i} of this view. */
    public void set(int i, double v) {
        data[offset + Objects.checkIndex(i, size)] = v;
    }

    @Override
    public String toString() {
        return "DoubleTensor[" + size + "]";
    }
}
