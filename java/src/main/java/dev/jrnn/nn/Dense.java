package dev.jrnn.nn;

import dev.jrnn.backend.Activation;

/**
 * Fully connected layer {@code y = act(x W^T + b)} over per-sample input x (F), W (units, F)
 * row-major (PyTorch's orientation), b (units), output y (units). Glorot-uniform W and zero b, as
 * Keras. Its parameters are W then b, {@code units * (F + 1)} floats.
 *
 * @param units      output width, positive
 * @param activation linear, relu, tanh, sigmoid, or softmax (last layer only)
 */
public record Dense(int units, Activation activation) implements Layer {

    /**
     * Checks the hyper-parameters.
     *
     * @throws IllegalArgumentException if {@code units} is not positive
     * @throws NullPointerException     if {@code activation} is null
     */
    public Dense {
        if (units <= 0) throw new IllegalArgumentException("Dense units must be positive, found " + units);
        java.util.Objects.requireNonNull(activation, "activation");
    }

    /**
     * Creates a linear Dense layer, {@code y = x W^T + b}.
     *
     * @param units output width, positive
     * @throws IllegalArgumentException if {@code units} is not positive
     */
    public Dense(int units) {
        this(units, Activation.LINEAR);
    }

    @Override
    public String kind() {
        return "dense";
    }

    @Override
    public String typeName() {
        return "Dense";
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 1) {
            throw new IllegalArgumentException("Dense expects input of shape (features), found " + input
                    + (input.rank() == 2 ? ": set returnSequences(false) on the recurrent layer before it" : ""));
        }
        return new Shape(units);
    }

    @Override
    public int paramCount(Shape input) {
        outputShape(input);
        return Layers.checkedCount((long) units * input.dim(0) + units, this);
    }
}
