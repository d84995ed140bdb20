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
 * Shapes here are per sample, without the batch axis. The model holds no weights: they live in a
 * flat parameter buffer where layer {@code i} occupies {@code [paramOffset(i), paramOffset(i) +
 * paramCount(i))}, each in the canonical layout of its layer. Immutable and thread-safe.
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
            if (layer instanceof Masking && i != 0) {
                throw new IllegalArgumentException("layer " + i + " (" + name
                        + "): Masking must be the first layer (it marks the padding of the model's input)");
            }
            if (layer instanceof Dense d && d.activation() == Activation.SOFTMAX && i != layers.size() - 1) {
                throw new IllegalArgumentException("layer " + i + " (" + name
                        + "): softmax is only supported on the last layer, where it is fused with the loss");
            }
            paramOffsets[i] = offset;
            paramCounts[i] = layer.paramCount(shape);
            if ((long) offset + paramCounts[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "the model would have %,d parameters;"
                        + " jrnn holds at most %,d (one float array): use fewer units or layers",
                        (long) offset + paramCounts[i], Integer.MAX_VALUE));
            }
            offset += paramCounts[i];
            names.add(name);
            outputs.add(out);
            shape = out;
        }
        this.names = List.copyOf(names);
        this.outputs = List.copyOf(outputs);
        this.totalParams = offset;
    }

    /**
     * Tells whether {@code above}, placed right after {@code below}, continues its recurrent stack:
     * two recurrent layers ({@link Recurrent#stacksOn}) or two bidirectional ones
     * ({@link Bidirectional#stacksOn}). A stack runs as one op (cuDNN's {@code numLayers}) and
     * exports as one PyTorch module with {@code num_layers}.
     *
     * @param below the layer before
     * @param above the layer right after it
     * @return true if the two belong to one stack
     */
    public static boolean stacks(Layer below, Layer above) {
        if (below instanceof Recurrent b && above instanceof Recurrent a) return a.stacksOn(b);
        if (below instanceof Bidirectional b && above instanceof Bidirectional a) return a.stacksOn(b);
        return false;
    }

    /** {@return a new, empty builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The seed notebook's model: {@code layers} stacked recurrent layers of {@code units}, then
     * Dropout(dropout), Dense(64, relu), Dropout(dropout), Dense(classes, softmax). All recurrent
     * layers but the last return sequences.
     *
     * @param cell       LSTM or GRU
     * @param units      hidden units H of every recurrent layer
     * @param layers     number of stacked recurrent layers, at least 1
     * @param activation cell activation of the recurrent layers, tanh or relu
     * @param dropout    rate of both Dropout layers, in [0, 1)
     * @param steps      T, timesteps per sample
     * @param features   F, features per timestep
     * @param classes    number of output classes
     * @return the built model, input (T, F), output (classes)
     * @throws IllegalArgumentException if {@code layers < 1} or any size, rate or activation is
     *                                  invalid for its layer
     */
    public static Sequential notebook(RnnSpec.Cell cell, int units, int layers, Activation activation,
                                      double dropout, int steps, int features, int classes) {
        return notebook(cell, units, layers, activation, dropout, steps, features, classes, null);
    }

    /**
     * The seed notebook's model with its recurrent layers wrapped in {@link Bidirectional}: as
     * {@link #notebook(RnnSpec.Cell, int, int, Activation, double, int, int, int) notebook}, each
     * recurrent layer {@code Bidirectional(cell(units), merge)}. CONCAT layers run as one
     * bidirectional stack.
     *
     * @param cell       LSTM or GRU
     * @param units      hidden units H of every recurrent layer, per direction
     * @param layers     number of stacked recurrent layers, at least 1
     * @param activation cell activation of the recurrent layers, tanh or relu
     * @param dropout    rate of both Dropout layers, in [0, 1)
     * @param steps      T, timesteps per sample
     * @param features   F, features per timestep
     * @param classes    number of output classes
     * @param merge      how each bidirectional layer merges its directions, or {@code null} for
     *                   unidirectional layers (the plain notebook model)
     * @return the built model, input (T, F), output (classes)
     * @throws IllegalArgumentException if {@code layers < 1} or any size, rate or activation is
     *                                  invalid for its layer
     */
    public static Sequential notebook(RnnSpec.Cell cell, int units, int layers, Activation activation,
                                      double dropout, int steps, int features, int classes, Bidirectional.Merge merge) {
        if (layers < 1) throw new IllegalArgumentException("layers must be at least 1, found " + layers);
        Builder b = builder().input(steps, features);
        for (int l = 0; l < layers; l++) {
            boolean seq = l < layers - 1;
            Recurrent r = cell == RnnSpec.Cell.LSTM ? new LSTM(units, activation, seq) : new GRU(units, activation, seq);
            b.add(merge == null ? r : new Bidirectional(r, merge));
        }
        return b.add(new Dropout(dropout)).add(new Dense(64, Activation.RELU)).add(new Dropout(dropout))
                .add(new Dense(classes, Activation.SOFTMAX)).build();
    }

    /**
     * {@return a short name such as {@code lstm32}, {@code gru32x4} or {@code bilstm32x2}, as the
     * sweep names models} It names the first recurrent layer's cell and units (prefixed {@code bi}
     * when it is {@link Bidirectional}) and the count of recurrent layers when more than one; a
     * model without recurrent layers is {@code dense}.
     */
    public String shortName() {
        int count = 0;
        String first = null;
        for (Layer l : layers) {
            String name = switch (l) {
                case Recurrent r -> r.kind() + r.units();
                case Bidirectional b -> "bi" + b.layer().kind() + b.units();
                default -> null;
            };
            if (name == null) continue;
            if (first == null) first = name;
            count++;
        }
        if (first == null) return "dense";
        return count > 1 ? first + "x" + count : first;
    }

    /**
     * {@return the model's {@link Masking} layer, or {@code null} when it has none} Masking can only
     * be the first layer.
     */
    public Masking masking() {
        return !layers.isEmpty() && layers.get(0) instanceof Masking m ? m : null;
    }

    /** {@return the model's per-sample input shape, e.g. (T, F)} */
    public Shape inputShape() {
        return input;
    }

    /** {@return the per-sample output shape of the last layer, e.g. (classes)} */
    public Shape outputShape() {
        return outputs.isEmpty() ? input : outputs.get(outputs.size() - 1);
    }

    /** {@return the layers, in order, as an unmodifiable list} */
    public List<Layer> layers() {
        return layers;
    }

    /**
     * {@return the layers' Keras-style unique names, in order, as an unmodifiable list} A kind's
     * first layer is named after it ({@code lstm}) and later ones get a suffix ({@code lstm_1}).
     */
    public List<String> names() {
        return names;
    }

    /**
     * Returns the per-sample input shape of one layer.
     *
     * @param i the layer's index, from 0
     * @return the model's input shape for layer 0, else the output shape of layer {@code i - 1}
     * @throws IndexOutOfBoundsException if {@code i} is not a layer index
     */
    public Shape inputShape(int i) {
        return i == 0 ? input : outputs.get(i - 1);
    }

    /**
     * Returns the per-sample output shape of one layer.
     *
     * @param i the layer's index, from 0
     * @return the shape layer {@code i} produces
     * @throws IndexOutOfBoundsException if {@code i} is not a layer index
     */
    public Shape outputShape(int i) {
        return outputs.get(i);
    }

    /**
     * Returns where one layer's parameters start.
     *
     * @param i the layer's index, from 0
     * @return the offset of layer {@code i}'s parameters in the flat parameter buffer, in floats
     * @throws IndexOutOfBoundsException if {@code i} is not a layer index
     */
    public int paramOffset(int i) {
        return paramOffsets[i];
    }

    /**
     * Returns how many parameters one layer has.
     *
     * @param i the layer's index, from 0
     * @return the number of floats of layer {@code i}'s parameters (0 for Dropout)
     * @throws IndexOutOfBoundsException if {@code i} is not a layer index
     */
    public int paramCount(int i) {
        return paramCounts[i];
    }

    /** {@return the total number of trainable parameters, the size of the flat parameter buffer} */
    public int paramCount() {
        return totalParams;
    }

    /**
     * {@return a Keras-style summary table with per-layer names, output shapes and parameter
     * counts, over several lines}
     */
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

    /**
     * Collects the input shape and layers; {@link #build()} validates them. Not thread-safe; the
     * {@link Sequential} it builds is.
     */
    public static final class Builder {
        private Shape input;
        private final List<Layer> layers = new ArrayList<>();

        private Builder() {}

        /**
         * Sets the per-sample input shape, e.g. {@code input(28, 28)} for 28 steps of 28 features.
         *
         * @param dims the input's axes without the batch axis: (T, F) for recurrent models
         * @return this builder
         * @throws IllegalArgumentException if a dimension is not positive
         */
        public Builder input(int... dims) {
            this.input = new Shape(dims);
            return this;
        }

        /**
         * Appends a layer after those added so far.
         *
         * @param layer the layer to append
         * @return this builder
         * @throws NullPointerException if {@code layer} is null
         */
        public Builder add(Layer layer) {
            layers.add(Objects.requireNonNull(layer, "layer"));
            return this;
        }

        /**
         * Validates the layers against the input shape and builds the model.
         *
         * @return the model, with every layer's shapes and parameter offsets computed
         * @throws IllegalArgumentException when the input shape is missing, there are no layers, a
         *                                  layer does not fit its input (naming the layer and both
         *                                  shapes) or a softmax Dense layer is not the last
         */
        public Sequential build() {
            if (input == null) throw new IllegalArgumentException("input shape not set: call input(timesteps, features)");
            if (layers.isEmpty()) throw new IllegalArgumentException("a model needs at least one layer");
            return new Sequential(input, layers);
        }
    }
}
