package dev.jrnn.nn;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A validated stack of layers with known shapes and parameter offsets. Build with
 * {@link #builder()}; {@code build()} checks every shape and names the layer that does not fit.
 *
 * <pre>{@code
 * Sequential model = Sequential.builder().input(28, 28)
 *         .add(new LSTM(32)).add(new Dropout(0.2))
 *         .add(new Dense(64, Activation.RELU)).add(new Dropout(0.2))
 *         .add(new Dense(10, Activation.SOFTMAX))
 *         .build();
 * }</pre>
 */
public final class Sequential {
    private final Shape input;
    private final List<Layer> layers;
    private final List<String> names;
    private final List<Shape> outputs;
    private final int[] paramOffsets;
    private final int[] paramCounts;
    private final int totalParams;

    private Sequential(Shape input, List<Layer> layers) {
        this.input = input;
        this.layers = List.copyOf(layers);
        List<String> names = new ArrayList<>();
        List<Shape> outputs = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        paramOffsets = new int[layers.size()];
        paramCounts = new int[layers.size()];
        Shape shape = input;
        int offset = 0;
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            int n = seen.merge(layer.kind(), 1, Integer::sum) - 1;
            String name = n == 0 ? layer.kind() : layer.kind() + "_" + n;
            Shape out;
            try {
                out = layer.outputShape(shape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + " (" + name + "): " + e.getMessage(), e);
            }
            if (layer instanceof Dense d && d.activation() == Activation.SOFTMAX && i != layers.size() - 1) {
                throw new IllegalArgumentException("layer " + i + " (" + name
                        + "): softmax is only supported on the last layer, where it is fused with the loss");
            }
            paramOffsets[i] = offset;
            paramCounts[i] = layer.paramCount(shape);
            offset = Math.addExact(offset, paramCounts[i]);
            names.add(name);
            outputs.add(out);
            shape = out;
        }
        this.names = List.copyOf(names);
        this.outputs = List.copyOf(outputs);
        this.totalParams = offset;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The seed notebook's model: {@code layers} stacked recurrent layers of {@code units}, then
     * Dropout(dropout), Dense(64, relu), Dropout(dropout), Dense(classes, softmax).
     */
    public static Sequential notebook(RnnSpec.Cell cell, int units, int layers, Activation activation,
                                      double dropout, int steps, int features, int classes) {
        if (layers < 1) throw new IllegalArgumentException("layers must be at least 1, found " + layers);
        Builder b = builder().input(steps, features);
        for (int l = 0; l < layers; l++) {
            boolean seq = l < layers - 1;
            b.add(cell == RnnSpec.Cell.LSTM ? new LSTM(units, activation, seq) : new GRU(units, activation, seq));
        }
        return b.add(new Dropout(dropout)).add(new Dense(64, Activation.RELU)).add(new Dropout(dropout))
                .add(new Dense(classes, Activation.SOFTMAX)).build();
    }

    /** Short name such as {@code lstm32} or {@code gru32x4}, as the sweep names models. */
    public String shortName() {
        StringBuilder sb = new StringBuilder();
        int count = 0;
        Recurrent first = null;
        for (Layer l : layers) {
            if (l instanceof Recurrent r) {
                if (first == null) first = r;
                count++;
            }
        }
        if (first == null) return "dense";
        sb.append(first.kind()).append(first.units());
        if (count > 1) sb.append('x').append(count);
        return sb.toString();
    }

    /** Per-sample input shape. */
    public Shape inputShape() {
        return input;
    }

    /** Per-sample output shape of the last layer. */
    public Shape outputShape() {
        return outputs.isEmpty() ? input : outputs.get(outputs.size() - 1);
    }

    /** The layers, in order. */
    public List<Layer> layers() {
        return layers;
    }

    /** Keras-style unique names ({@code lstm}, {@code dropout_1}, ...). */
    public List<String> names() {
        return names;
    }

    /** Per-sample input shape of layer {@code i}. */
    public Shape inputShape(int i) {
        return i == 0 ? input : outputs.get(i - 1);
    }

    /** Per-sample output shape of layer {@code i}. */
    public Shape outputShape(int i) {
        return outputs.get(i);
    }

    /** Offset of layer {@code i}'s parameters in the flat parameter buffer. */
    public int paramOffset(int i) {
        return paramOffsets[i];
    }

    /** Number of parameters of layer {@code i}. */
    public int paramCount(int i) {
        return paramCounts[i];
    }

    /** Total trainable parameters. */
    public int paramCount() {
        return totalParams;
    }

    /** A Keras-style summary table with per-layer output shapes and parameter counts. */
    public String summary() {
        String rule = "_".repeat(65), thick = "=".repeat(65);
        StringBuilder sb = new StringBuilder();
        sb.append("Model: \"").append(shortName()).append("\"\n").append(rule).append('\n');
        sb.append(String.format(Locale.ROOT, " %-28s%-26s%-10s%n", "Layer (type)", "Output Shape", "Param #"));
        sb.append(thick).append('\n');
        for (int i = 0; i < layers.size(); i++) {
            String label = names.get(i) + " (" + layers.get(i).typeName() + ")";
            sb.append(String.format(Locale.ROOT, " %-28s%-26s%-10d%n", label, outputs.get(i).withBatch(), paramCounts[i]));
            sb.append(i == layers.size() - 1 ? thick : "").append('\n');
        }
        sb.append(String.format(Locale.ROOT, "Total params: %,d%n", totalParams));
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d%n", totalParams));
        sb.append("Non-trainable params: 0\n").append(rule).append('\n');
        return sb.toString();
    }

    @Override
    public String toString() {
        return "Sequential" + layers;
    }

    /** Collects the input shape and layers; {@link #build()} validates them. */
    public static final class Builder {
        private Shape input;
        private final List<Layer> layers = new ArrayList<>();

        private Builder() {}

        /** Per-sample input shape, e.g. {@code input(28, 28)} for 28 steps of 28 features. */
        public Builder input(int... dims) {
            this.input = new Shape(dims);
            return this;
        }

        /** Appends a layer. */
        public Builder add(Layer layer) {
            layers.add(Objects.requireNonNull(layer, "layer"));
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException when the input shape is missing or a layer does not fit
         *                                  its input, naming the layer and both shapes
         */
        public Sequential build() {
            if (input == null) throw new IllegalArgumentException("input shape not set: call input(timesteps, features)");
            if (layers.isEmpty()) throw new IllegalArgumentException("a model needs at least one layer");
            return new Sequential(input, layers);
        }
    }
}
