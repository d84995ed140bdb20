package dev.jrnn.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.jrnn.backend.Activation;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Masking;
import dev.jrnn.nn.Recurrent;
import dev.jrnn.nn.Sequential;

/**
 * A {@link Sequential} as JSON, enough to rebuild it:
 * <pre>
 * {"input": [28, 28],
 *  "layers": [{"type": "lstm", "units": 32, "activation": "tanh", "return_sequences": false},
 *             {"type": "dropout", "rate": 0.2},
 *             {"type": "dense", "units": 64, "activation": "relu"}, ...]}
 * </pre>
 * A {@link Bidirectional} layer holds its merge mode and the wrapped layer, a {@link Masking}
 * layer its value:
 * <pre>
 *   {"type": "masking", "mask_value": 0.0}
 *   {"type": "bidirectional", "merge": "concat",
 *    "layer": {"type": "lstm", "units": 32, "activation": "tanh", "return_sequences": true}}
 * </pre>
 */
public final class ModelJson {
    private ModelJson() {}

    /**
     * Describes a model as JSON in the layout shown above.
     *
     * @param model the model
     * @return a new JSON object with its input shape and layers, from which
     *         {@link #fromJson(JsonObject)} rebuilds an equal model
     */
    public static JsonObject toJson(Sequential model) {
        JsonObject o = new JsonObject();
        JsonArray input = new JsonArray();
        for (int d : model.inputShape().dims()) input.add(d);
        o.add("input", input);
        JsonArray layers = new JsonArray();
        for (Layer l : model.layers()) layers.add(layer(l));
        o.add("layers", layers);
        return o;
    }

    private static JsonObject layer(Layer l) {
        JsonObject j = new JsonObject();
        j.addProperty("type", l.kind());
        switch (l) {
            case Recurrent r -> {
                j.addProperty("units", r.units());
                j.addProperty("activation", r.activation().keyword());
                j.addProperty("return_sequences", r.returnSequences());
            }
            case Bidirectional b -> {
                j.addProperty("merge", b.merge().keyword());
                j.add("layer", layer(b.layer()));
            }
            case Masking m -> j.addProperty("mask_value", m.value());
            case Dropout d -> j.addProperty("rate", d.rate());
            case Dense d -> {
                j.addProperty("units", d.units());
                j.addProperty("activation", d.activation().keyword());
            }
        }
        return j;
    }

    /**
     * Rebuilds a model from its description and validates it as {@link Sequential.Builder#build()}
     * does.
     *
     * @param o a JSON object in the layout shown above
     * @return the model
     * @throws IllegalArgumentException naming the layer and the field that is missing or invalid,
     *                                  or the layer that does not fit its input
     */
    public static Sequential fromJson(JsonObject o) {
        try {
            Sequential.Builder b = Sequential.builder();
            JsonArray input = required(o, "input").getAsJsonArray();
            int[] dims = new int[input.size()];
            for (int i = 0; i < dims.length; i++) dims[i] = input.get(i).getAsInt();
            b.input(dims);
            JsonArray layers = required(o, "layers").getAsJsonArray();
            for (int i = 0; i < layers.size(); i++) {
                JsonObject j = layers.get(i).getAsJsonObject();
                try {
                    b.add(layer(j));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("layer " + i + ": " + e.getMessage(), e);
                }
            }
            return b.build();
        } catch (IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
            throw new IllegalArgumentException("invalid model description " + o + ": " + e.getMessage(), e);
        }
    }

    private static Layer layer(JsonObject j) {
        String type = required(j, "type").getAsString();
        return switch (type) {
            case "lstm" -> new LSTM(required(j, "units").getAsInt(), activation(j),
                    required(j, "return_sequences").getAsBoolean());
            case "gru" -> new GRU(required(j, "units").getAsInt(), activation(j),
                    required(j, "return_sequences").getAsBoolean());
            case "bidirectional" -> {
                if (!(layer(required(j, "layer").getAsJsonObject()) instanceof Recurrent inner)) {
                    throw new IllegalArgumentException("a bidirectional layer wraps an lstm or gru layer, found " + j.get("layer"));
                }
                yield new Bidirectional(inner, Bidirectional.Merge.parse(required(j, "merge").getAsString()));
            }
            case "masking" -> new Masking(required(j, "mask_value").getAsFloat());
            case "dropout" -> new Dropout(required(j, "rate").getAsDouble());
            case "dense" -> new Dense(required(j, "units").getAsInt(), activation(j));
            default -> throw new IllegalArgumentException("unknown type '" + type
                    + "', expected lstm, gru, bidirectional, masking, dropout or dense");
        };
    }

    private static Activation activation(JsonObject j) {
        return Activation.parse(required(j, "activation").getAsString());
    }

    private static JsonElement required(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) throw new IllegalArgumentException("missing '" + key + "' in " + o);
        return e;
    }
}
