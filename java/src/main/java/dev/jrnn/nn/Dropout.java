package dev.jrnn.nn;

/**
 * Inverted dropout: in training each element is zeroed with probability {@code rate} and the
 * survivors scaled by {@code 1 / (1 - rate)}; at inference the layer is the identity. Masks come
 * from Philox4x32-10 keyed by the run's seed (see {@code dev.jrnn.backend.Philox}).
 *
 * @param rate fraction of elements dropped, in [0, 1)
 */
public record Dropout(double rate) implements Layer {

    /**
     * Checks the rate.
     *
     * @throws IllegalArgumentException if {@code rate} is not in [0, 1) (NaN included)
     */
    public Dropout {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("Dropout rate must be in [0, 1), found " + rate);
    }

    @Override
    public String kind() {
        return "dropout";
    }

    @Override
    public String typeName() {
        return "Dropout";
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public int paramCount(Shape input) {
        return 0;
    }
}
