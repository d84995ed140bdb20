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

    /**
     * Parses an activation name as written in Keras or on the command line.
     *
     * @param name {@code linear}, {@code relu}, {@code tanh}, {@code sigmoid} or {@code softmax},
     *             in any case, surrounding blanks ignored
     * @return the activation of that name
     * @throws IllegalArgumentException if {@code name} is none of these
     */
    public static Activation parse(String name) {
        for (Activation a : values()) {
            if (a.name().equalsIgnoreCase(name.trim())) return a;
        }
        throw new IllegalArgumentException(
                "unknown activation '" + name + "': expected one of linear, relu, tanh, sigmoid, softmax");
    }

    /** {@return the lower-case name as written in Keras and on the command line, e.g. tanh} */
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
