package dev.jrnn.bench;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.backend.Tensor;
import java.util.SplittableRandom;

/** What every benchmark's {@code @Setup} shares: opening a backend and random inputs. */
final class BenchSupport {
    private BenchSupport() {}

    /** Seed of every random input, so reruns time the same numbers. */
    static final long SEED = 20240601L;

    /** MNIST read as a sequence: T = 28 steps of F = 28 features, 10 classes. */
    static final int STEPS = 28, FEATURES = 28, CLASSES = 10;

    /**
     * Opens the named backend with all available processors.
     *
     * @throws IllegalStateException naming the backend and why it cannot load (for {@code cuda}
     *                               on a machine without a GPU: run through {@link BenchRunner},
     *                               which skips those rows, or pass {@code -p backend=cpu})
     */
    static Backend open(String name) {
        try {
            return Backends.create(name, 0, line -> System.out.println("# " + line));
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException("backend " + name + " cannot be opened here (" + e.getMessage()
                    + "); BenchRunner skips such rows, or pass -p backend=cpu to JMH", e);
        }
    }

    /** {@code n} uniform numbers in [lo, hi). */
    static float[] uniform(SplittableRandom rnd, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return a;
    }

    /** {@code n} class labels in [0, classes). */
    static int[] labels(SplittableRandom rnd, int n, int classes) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rnd.nextInt(classes);
        return y;
    }

    /** A backend tensor holding {@code values}. */
    static Tensor tensor(Backend be, float[] values) {
        Tensor t = be.allocate(values.length);
        be.write(values, 0, t, values.length);
        return t;
    }

    /** Parses {@code "ROWSxCOLS"}, e.g. {@code 256x10}, into {rows, cols}. */
    static int[] shape(String s) {
        String[] p = s.toLowerCase(java.util.Locale.ROOT).split("x");
        if (p.length != 2) throw new IllegalArgumentException("expected a shape ROWSxCOLS such as 256x10, found '" + s + "'");
        int rows = Integer.parseInt(p[0].trim()), cols = Integer.parseInt(p[1].trim());
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("shape sizes must be positive, found '" + s + "'");
        return new int[] {rows, cols};
    }
}
