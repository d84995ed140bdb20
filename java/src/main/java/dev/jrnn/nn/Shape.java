package dev.jrnn.nn;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A per-sample shape, without the batch axis: {@code (timesteps, features)} for sequences,
 * {@code (units)} for vectors. Printed as Keras does, with {@code None} for the batch.
 */
public record Shape(int... dims) {

    public Shape {
        dims = dims.clone();
        for (int d : dims) {
            if (d <= 0) throw new IllegalArgumentException("shape dimensions must be positive, found " + Arrays.toString(dims));
        }
    }

    /** Number of axes. */
    public int rank() {
        return dims.length;
    }

    /** Size of axis {@code i}. */
    public int dim(int i) {
        return dims[i];
    }

    /** Product of the dimensions. */
    public int elements() {
        int n = 1;
        for (int d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Keras style, e.g. {@code (None, 28, 32)}. */
    public String withBatch() {
        return "(None, " + Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining(", ")) + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return "(" + Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining(", ")) + ")";
    }
}
