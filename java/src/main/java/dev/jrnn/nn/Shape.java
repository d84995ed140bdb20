package dev.jrnn.nn;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A per-sample shape, without the batch axis: {@code (timesteps, features)} for sequences,
 * {@code (units)} for vectors. Printed as Keras does, with {@code None} for the batch.
 *
 * @param dims the size of each axis, all positive; copied on construction, and the array the
 *             accessor returns must be treated as read-only
 */
public record Shape(int... dims) {

    /**
     * Copies and checks the dimensions.
     *
     * @throws IllegalArgumentException if a dimension is not positive
     */
    public Shape {
        dims = dims.clone();
        for (int d : dims) {
            if (d <= 0) throw new IllegalArgumentException("shape dimensions must be positive, found " + Arrays.toString(dims));
        }
    }

    /** {@return the number of axes: 2 for (T, F), 1 for (units)} */
    public int rank() {
        return dims.length;
    }

    /**
     * Returns the size of one axis.
     *
     * @param i the axis, from 0
     * @return the size of axis {@code i}
     * @throws ArrayIndexOutOfBoundsException if {@code i} is not in [0, rank())
     */
    public int dim(int i) {
        return dims[i];
    }

    /**
     * Returns the number of elements of one sample.
     *
     * @return the product of the dimensions
     * @throws ArithmeticException if the product overflows an {@code int}
     */
    public int elements() {
        int n = 1;
        for (int d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    /** {@return this shape with a leading batch axis, Keras style, e.g. {@code (None, 28, 32)}} */
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
