package dev.jrnn.ops;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;

/**
 * Host memory of one of the kinds the API takes ({@code float[]}, {@code FloatBuffer},
 * {@code MemorySegment}), copied to and from a backend's tensors. Lengths are in floats; a
 * {@code FloatBuffer} means its remaining elements (position and limit are left alone), a
 * {@code MemorySegment} all of its bytes as native-order floats.
 */
sealed interface HostData {
    /** Floats moved per bounce-buffer copy for buffers and segments. */
    int CHUNK = 1 << 16;

    /** Number of floats. */
    long length();

    /** Whether the memory can be written. */
    boolean writable();

    /** Copies all {@link #length()} floats into {@code dst[0..)}. */
    void upload(Backend b, Tensor dst);

    /** Copies {@code src[0..length())} into this memory. */
    void download(Backend b, Tensor src);

    static HostData of(float[] a) {
        return a == null ? null : new Array(a);
    }

    static HostData of(FloatBuffer f) {
        return f == null ? null : new Buffer(f);
    }

    static HostData of(MemorySegment m) {
        return m == null ? null : new Segment(m);
    }

    record Array(float[] a) implements HostData {
        @Override
        public long length() {
            return a.length;
        }

        @Override
        public boolean writable() {
            return true;
        }

        @Override
        public void upload(Backend b, Tensor dst) {
            b.write(a, 0, dst, a.length);
        }

        @Override
        public void download(Backend b, Tensor src) {
            b.read(src, a, 0, a.length);
        }
    }

    record Buffer(FloatBuffer f) implements HostData {
        @Override
        public long length() {
            return f.remaining();
        }

        @Override
        public boolean writable() {
            return !f.isReadOnly();
        }

        @Override
        public void upload(Backend b, Tensor dst) {
            int n = f.remaining(), pos = f.position();
            if (f.hasArray()) {
                b.write(f.array(), f.arrayOffset() + pos, dst, n);
                return;
            }
            float[] tmp = new float[Math.min(n, CHUNK)];
            for (int i = 0; i < n; i += tmp.length) {
                int len = Math.min(tmp.length, n - i);
                f.get(pos + i, tmp, 0, len);             // absolute: honours the buffer's byte order
                b.write(tmp, 0, dst.slice(i, len), len);
            }
        }

        @Override
        public void download(Backend b, Tensor src) {
            int n = f.remaining(), pos = f.position();
            if (f.hasArray()) {
                b.read(src, f.array(), f.arrayOffset() + pos, n);
                return;
            }
            float[] tmp = new float[Math.min(n, CHUNK)];
            for (int i = 0; i < n; i += tmp.length) {
                int len = Math.min(tmp.length, n - i);
                b.read(src.slice(i, len), tmp, 0, len);
                f.put(pos + i, tmp, 0, len);
            }
        }
    }

    record Segment(MemorySegment m) implements HostData {
        @Override
        public long length() {
            return m.byteSize() / Float.BYTES;
        }

        @Override
        public boolean writable() {
            return !m.isReadOnly();
        }

        @Override
        public void upload(Backend b, Tensor dst) {
            int n = (int) length();
            float[] tmp = new float[Math.min(n, CHUNK)];
            for (int i = 0; i < n; i += tmp.length) {
                int len = Math.min(tmp.length, n - i);
                MemorySegment.copy(m, ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * i, tmp, 0, len);
                b.write(tmp, 0, dst.slice(i, len), len);
            }
        }

        @Override
        public void download(Backend b, Tensor src) {
            int n = (int) length();
            float[] tmp = new float[Math.min(n, CHUNK)];
            for (int i = 0; i < n; i += tmp.length) {
                int len = Math.min(tmp.length, n - i);
                b.read(src.slice(i, len), tmp, 0, len);
                MemorySegment.copy(tmp, 0, m, ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * i, len);
            }
        }
    }
}
