package dev.jrnn.backend;

/** Element-wise activations used by the layers. */
public enum Activation {
    /** Identity: {@code f(x) = x}. */
    LINEAR,
    /** {@code f(x) = max(0, x)}; its derivative at 0 is taken as 0. */
    RELU,
    /** {@code f(x) = tanh(x)}. */
    TANH,
    /** {@code f(x) = 1 / (1 + exp(-x))}. */
    SIGMOID,
    /**
     * Row softmax. Only valid on the last {@code Dense} layer: in training the trainer fuses it
     * with the cross-entropy loss and the layer itself emits logits.
     */
    SOFTMAX;

    /** Parses {@code tanh}, {@code relu}, ... case-insensitively. */
    public static Activation parse(String name) {
        for (Activation a : values()) {
            if (a.name().equalsIgnoreCase(name.trim())) return a;
        }
        throw new IllegalArgumentException(
                "unknown activation '" + name + "': expected one of linear, relu, tanh, sigmoid, softmax");
    }

    /** Lower-case name as written in Keras and on the command line. */
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
