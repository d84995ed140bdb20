package dev.jrnn.experiment;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.jrnn.backend.Activation;
import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Preprocess;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a sweep trains: every model once per seed, with one optimiser setting and one dataset.
 * Saved as {@code DIR/sweep.json} so {@code jrnn sweep --resume DIR} repeats it exactly.
 *
 * @param models       the models, in order
 * @param epochs       epochs per run
 * @param activation   recurrent cell activation (tanh; the notebook used relu)
 * @param dropout      rate of both Dropout layers
 * @param batchSize    training batch size
 * @param learningRate Adam learning rate
 * @param data         dataset, limit, validation split, preprocessing
 * @param seeds        one run per model and seed (R repeats: seed, seed+1, ..., seed+R-1)
 * @param backend      the backend name runs were started on ({@code cpu}, {@code cuda}, ...)
 * @param threads      CPU threads (0 = all)
 * @param bucketing    batches of samples of similar length ({@link TrainConfig#bucketing()})
 * @param merge        with a merge mode, every recurrent layer is wrapped in {@link Bidirectional}
 *                     ({@link ModelEdits#bidirectional}); {@code null} for unidirectional models
 */
public record SweepConfig(List<ModelName> models, int epochs, Activation activation, double dropout, int batchSize,
                          float learningRate, DataSelection data, List<Long> seeds, String backend, int threads,
                          boolean bucketing, Bidirectional.Merge merge) {

    /**
     * A sweep of unidirectional models without bucketing.
     *
     * @param models       the models, in order
     * @param epochs       epochs per run
     * @param activation   recurrent cell activation
     * @param dropout      rate of both Dropout layers
     * @param batchSize    training batch size
     * @param learningRate Adam learning rate
     * @param data         dataset, limit, validation split, preprocessing
     * @param seeds        one run per model and seed
     * @param backend      the backend name runs were started on
     * @param threads      CPU threads (0 = all)
     * @throws IllegalArgumentException as the canonical constructor
     */
    public SweepConfig(List<ModelName> models, int epochs, Activation activation, double dropout, int batchSize,
                       float learningRate, DataSelection data, List<Long> seeds, String backend, int threads) {
        this(models, epochs, activation, dropout, batchSize, learningRate, data, seeds, backend, threads, false, null);
    }

    public SweepConfig {
        models = List.copyOf(models);
        seeds = List.copyOf(seeds);
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(activation, "activation");
        if (models.isEmpty()) throw new IllegalArgumentException("a sweep needs at least one model");
        if (seeds.isEmpty()) throw new IllegalArgumentException("a sweep needs at least one seed");
        if (epochs <= 0) throw new IllegalArgumentException("--epochs must be positive, found " + epochs);
        if (threads < 0) throw new IllegalArgumentException("--threads must be 0 or positive, found " + threads);
        new TrainConfig(learningRate, 0.9f, 0.999f, 1e-7f, batchSize, 0, true, 1, 1024);   // validates lr and batch size
    }

    /** The trainer configuration of the run with {@code seed}: Keras' Adam defaults otherwise. */
    public TrainConfig trainConfig(long seed) {
        return TrainConfig.defaults().withBatchSize(batchSize).withLearningRate(learningRate).withSeed(seed)
                .withLogInterval(TrainConfig.PROGRESS_INTERVAL).withBucketing(bucketing);
    }

    /**
     * Builds one of the sweep's models for the data's shape: the notebook model of {@code name},
     * bidirectional when {@link #merge()} is set.
     *
     * @param name     the model
     * @param steps    T
     * @param features F
     * @param classes  output classes
     * @return the model
     */
    public Sequential build(ModelName name, int steps, int features, int classes) {
        Sequential m = name.build(activation, dropout, steps, features, classes);
        return merge == null ? m : ModelEdits.bidirectional(m, merge);
    }

    /** A copy with another epoch count (extending a finished sweep). */
    public SweepConfig withEpochs(int e) {
        return new SweepConfig(models, e, activation, dropout, batchSize, learningRate, data, seeds, backend, threads, bucketing, merge);
    }

    /**
     * A copy that runs on another backend (a resumed sweep's {@code --backend} / {@code --threads}).
     *
     * @param b the backend's name
     * @param t CPU threads (0 = all)
     * @return the copy
     */
    public SweepConfig withBackend(String b, int t) {
        return new SweepConfig(models, epochs, activation, dropout, batchSize, learningRate, data, seeds, b, t, bucketing, merge);
    }

    /** Whether runs have several seeds (and checkpoints live in {@code seed-<s>} folders). */
    public boolean repeated() {
        return seeds.size() > 1;
    }

    /** As JSON. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format", "jrnn.sweep");
        o.addProperty("format_version", 1);
        JsonArray ms = new JsonArray();
        for (ModelName m : models) ms.add(m.toString());
        o.add("models", ms);
        o.addProperty("epochs", epochs);
        o.addProperty("activation", activation.keyword());
        o.addProperty("dropout", dropout);
        o.addProperty("batch_size", batchSize);
        o.addProperty("learning_rate", learningRate);
        o.addProperty("dataset", data.dataset());
        o.addProperty("limit", data.limit());
        o.addProperty("validation_split", data.validationSplit());
        o.add("binarize", data.preprocess().binarized() ? new JsonPrimitive(data.preprocess().threshold()) : JsonNull.INSTANCE);
        JsonArray ss = new JsonArray();
        for (long s : seeds) ss.add(s);
        o.add("seeds", ss);
        o.addProperty("backend", backend);
        o.addProperty("threads", threads);
        if (bucketing) o.addProperty("bucketing", true);            // NB: only when set, so earlier sweeps read the same
        if (merge != null) o.addProperty("bidirectional", merge.keyword());
        return o;
    }

    /**
     * Reads {@link #toJson()}'s output.
     *
     * @throws IllegalArgumentException naming the field that is missing or invalid
     */
    public static SweepConfig fromJson(JsonObject o) {
        try {
            if (!"jrnn.sweep".equals(o.has("format") ? o.get("format").getAsString() : null)
                    || o.get("format_version").getAsInt() != 1) {
                throw new IllegalArgumentException("expected format jrnn.sweep version 1, found " + o.get("format") + " "
                        + o.get("format_version"));
            }
            List<ModelName> models = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("models")) models.add(ModelName.parse(e.getAsString()));
            List<Long> seeds = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("seeds")) seeds.add(e.getAsLong());
            JsonElement bin = o.get("binarize");
            DataSelection data = new DataSelection(o.get("dataset").getAsString(), o.get("limit").getAsInt(),
                    o.get("validation_split").getAsDouble(),
                    bin == null || bin.isJsonNull() ? Preprocess.SCALE : Preprocess.binarize(bin.getAsFloat()));
            return new SweepConfig(models, o.get("epochs").getAsInt(), Activation.parse(o.get("activation").getAsString()),
                    o.get("dropout").getAsDouble(), o.get("batch_size").getAsInt(), o.get("learning_rate").getAsFloat(),
                    data, seeds, o.get("backend").getAsString(), o.get("threads").getAsInt(),
                    o.has("bucketing") && o.get("bucketing").getAsBoolean(),   // NB: absent before issue 16
                    o.has("bidirectional") ? Bidirectional.Merge.parse(o.get("bidirectional").getAsString()) : null);
        } catch (NullPointerException | IllegalStateException | UnsupportedOperationException | ClassCastException e) {
            throw new IllegalArgumentException("invalid sweep description: " + (e instanceof NullPointerException
                    ? "a field is missing" : JsonErrors.problem(e)), e);
        }
    }
}
