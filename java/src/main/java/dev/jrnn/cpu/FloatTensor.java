package dev.jrnn.cpu;

import dev.jrnn.backend.Tensor;
import java.util.Objects;

/** A {@link Tensor} in a Java {@code float[]}: the Vector API backend's storage. */
public final class FloatTensor implements Tensor {
    final float[] data;
    final int offset;
    final int size;

    FloatTensor(float[] data, int offset, int size) {
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
    public FloatTensor slice(int offset, int length) {
        Objects.checkFromIndexSize(offset, length, size);
        return new FloatTensor(data, this.offset + offset, length);
    }

    /** Element {@code i} of this view. */
    public float get(int i) {
        return data[offset + Objects.checkIndex(i, size)];
    }

    /** Sets element {@code i} of this view. */
    public void set(int i, float v) {
        data[offset + Objects.checkIndex(i, size)] = v;
    }

    /** A copy of this view's elements. */
    public float[] toArray() {
        float[] out = new float[size];
        System.arraycopy(data, offset, out, 0, size);
        return out;
    }

    @Override
    public String toString() {
        return "FloatTensor[" + size + "]";
    }
}
