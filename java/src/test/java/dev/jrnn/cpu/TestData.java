package dev.jrnn.cpu;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Tensor;
import java.util.SplittableRandom;

/** Random inputs for the CPU backends' tests, and tensors to and from host arrays. */
final class TestData {
    private TestData() {}

    /** {@code n} floats uniform in (-scale, scale). */
    static float[] uniform(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** A new tensor of {@code be} holding {@code v}. */
    static Tensor put(Backend be, float[] v) {
        Tensor t = be.allocate(v.length);
        be.write(v, 0, t, v.length);
        return t;
    }

    /** The whole of {@code t}, as floats. */
    static float[] get(Backend be, Tensor t) {
        float[] out = new float[t.size()];
        be.read(t, out, 0, out.length);
        return out;
    }
}
