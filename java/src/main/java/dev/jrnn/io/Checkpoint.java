package dev.jrnn.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Preprocess;
import dev.jrnn.io.CheckpointFormatException.Problem;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.EpochRecord;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A model, its weights and (optionally) the state to continue training it, stored as a
 * safetensors file (see {@link SafeTensors}).
 *
 * <p>Tensors: every parameter tensor under its {@link TensorLayout} name ({@code lstm.W},
 * {@code lstm.R}, {@code lstm.b}, {@code gru.bW}, {@code dense_1.W}, ...) and, with a training
 * state, Adam's moments {@code adam.m} and {@code adam.v}, each (P) in the flat canonical
 * parameter order. {@code __metadata__} (strings):
 * <pre>
 *   format          "jrnn.checkpoint"
 *   format_version  "1"
 *   model           JSON, see {@link ModelJson}
 *   training        JSON: epochs_done, epochs, step, seed, config, data, backend, history, test
 * </pre>
 *
 * <p>The arrays are kept as given, not copied; treat them as read-only.
 *
 * @param model    the model
 * @param params   (P) parameters, canonical layout, P = {@code model.paramCount()}
 * @param training how far training got and how to continue it; null for weights only
 */
public record Checkpoint(Sequential model, float[] params, Training training) {

    /** {@code __metadata__.format} of a jrnn checkpoint. */
    public static final String FORMAT = "jrnn.checkpoint";
    /** The version this code writes and reads. */
    public static final int VERSION = 1;

    /**
     * Checks that the arrays have the model's parameter count.
     *
     * @throws NullPointerException     if {@code model} or {@code params} is null
     * @throws IllegalArgumentException if {@code params}, or the Adam moments of {@code training},
     *                                  do not hold {@code model.paramCount()} floats
     */
    public Checkpoint {
        Objects.requireNonNull(model, "model");
        if (params.length != model.paramCount()) {
            throw new IllegalArgumentException("expected " + model.paramCount() + " parameters for "
                    + model.shortName() + ", found " + params.length);
        }
        if (training != null && (training.m().length != params.length || training.v().length != params.length)) {
            throw new IllegalArgumentException("Adam moments must have " + params.length + " elements, found "
                    + training.m().length + " and " + training.v().length);
        }
    }

    /**
     * The training state of a run.
     *
     * @param config     optimiser and loop settings (holds the seed)
     * @param m          (P) Adam first moments
     * @param v          (P) Adam second moments
     * @param step       optimiser steps taken
     * @param epochsDone epochs completed
     * @param epochs     epochs the run was asked for
     * @param data       the data it trains on
     * @param backend    name of the backend that trained it (resume on the same one for identical weights)
     * @param history    one record per completed epoch
     * @param test       test-set evaluation once the run finished, else null
     */
    public record Training(TrainConfig config, float[] m, float[] v, long step, int epochsDone, int epochs,
                           DataSelection data, String backend, List<EpochRecord> history, Evaluation test) {
        /**
         * Checks the state and copies the history.
         *
         * @throws NullPointerException     if {@code config}, {@code data}, {@code backend} or
         *                                  {@code history} is null
         * @throws IllegalArgumentException if {@code step}, {@code epochsDone} or {@code epochs} is
         *                                  negative
         */
        public Training {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(backend, "backend");
            history = List.copyOf(history);
            if (epochsDone < 0 || epochs < 0 || step < 0) {
                throw new IllegalArgumentException("epochs done, epochs and step must be >= 0, found "
                        + epochsDone + ", " + epochs + ", " + step);
            }
        }

        /** {@return true if every asked-for epoch is done, {@code epochsDone >= epochs}} */
        public boolean finished() {
            return epochsDone >= epochs;
        }
    }

    /**
     * Captures a trainer between epochs, copying its weights and Adam state to the host. Call it
     * on the thread that trains.
     *
     * @param model   the model trained
     * @param config  its training configuration
     * @param state   the trainer's resumable state ({@code Trainer#state()}): weights, Adam moments,
     *                step and epochs done
     * @param epochs  the number of epochs the run was asked for
     * @param data    the data the run trains on
     * @param backend the name of the backend that trains, e.g. {@code cpu}
     * @param history one record per completed epoch
     * @param test    the test-set evaluation once the run finished, else null
     * @return a checkpoint with a training state, ready to {@link #save}
     */
    public static Checkpoint capture(Sequential model, TrainConfig config, Trainer.State state, int epochs, DataSelection data,
                                     String backend, List<EpochRecord> history, Evaluation test) {
        return new Checkpoint(model, state.params(), new Training(config, state.m(), state.v(),
                state.step(), state.epochsDone(), epochs, data, backend, history, test));
    }

    /**
     * Extracts the state to hand to {@link Trainer#restore}; the arrays are shared, not copied.
     *
     * @return the parameters, Adam moments, step and epochs done
     * @throws IllegalStateException if this checkpoint holds weights only
     */
    public Trainer.State trainerState() {
        if (training == null) throw new IllegalStateException("this checkpoint holds weights only, no training state");
        return new Trainer.State(params, training.m(), training.v(), training.step(), training.epochsDone());
    }

    /**
     * Writes the checkpoint to {@code file} atomically (see {@link AtomicFiles}).
     *
     * @param file the safetensors file to write; its directory is created if needed
     * @throws IOException if the file cannot be written; a previous file is then left intact
     */
    public void save(Path file) throws IOException {
        SafeTensors.write(file, metadata(), tensors());
    }

    /**
     * {@return the safetensors metadata: {@code format}, {@code format_version}, {@code model} and,
     * with a training state, {@code training}, as described above}
     */
    public Map<String, String> metadata() {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", FORMAT);
        md.put("format_version", Integer.toString(VERSION));
        md.put("model", ModelJson.toJson(model).toString());
        if (training != null) md.put("training", trainingJson(training).toString());
        return md;
    }

    /**
     * {@return the tensors to store: the parameters, named and shaped as {@link TensorLayout}
     * says, then with a training state {@code adam.m} and {@code adam.v}, each (P)}
     */
    public List<SafeTensors.Tensor> tensors() {
        List<SafeTensors.Tensor> out = new ArrayList<>();
        for (TensorLayout.Entry e : TensorLayout.of(model)) {
            out.add(new SafeTensors.Tensor(e.name(), e.shape(), Arrays.copyOfRange(params, e.offset(), e.offset() + e.size())));
        }
        if (training != null) {
            out.add(new SafeTensors.Tensor("adam.m", new int[] {params.length}, training.m()));
            out.add(new SafeTensors.Tensor("adam.v", new int[] {params.length}, training.v()));
        }
        return out;
    }

    /**
     * Reads and checks a checkpoint.
     *
     * @param file a safetensors file written by {@link #save}
     * @return the checkpoint; its training state is null when the file holds weights only
     * @throws CheckpointFormatException when the file is not a safetensors file, not a jrnn
     *                                   checkpoint, of another version, or its tensors do not match its model
     * @throws IOException               when it cannot be read
     */
    public static Checkpoint load(Path file) throws IOException {
        return fromContents(file, SafeTensors.read(file));
    }

    /** {@link #load} of a file already read; {@code file} only names it in errors (and fuzz tests skip the disk). */
    static Checkpoint fromContents(Path file, SafeTensors.Contents c) throws IOException {
        Map<String, String> md = c.metadata();
        String format = md.get("format");
        if (!FORMAT.equals(format)) {
            throw new CheckpointFormatException(file, Problem.NOT_A_CHECKPOINT, "expected __metadata__.format \""
                    + FORMAT + "\", found " + (format == null ? "none" : "\"" + format + "\"")
                    + (PyTorchWeights.FORMAT.equals(format) ? " (a PyTorch-named export: convert it with 'jrnn import')" : ""));
        }
        String version = md.get("format_version");
        if (!Integer.toString(VERSION).equals(version)) {
            throw new CheckpointFormatException(file, Problem.UNSUPPORTED_VERSION, "expected format_version "
                    + VERSION + ", found " + (version == null ? "none" : "\"" + version + "\"")
                    + "; this jrnn reads version " + VERSION + " only");
        }
        Sequential model = model(file, md);
        Training training = null;
        if (md.containsKey("training")) {
            try {
                training = parseTraining(JsonParser.parseString(md.get("training")).getAsJsonObject(), c, model.paramCount(), file);
            } catch (CheckpointFormatException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new CheckpointFormatException(file, Problem.BAD_METADATA, "invalid training state: " + e.getMessage(), e);
            }
        }
        Set<String> expected = new LinkedHashSet<>();
        float[] params = new float[model.paramCount()];
        for (TensorLayout.Entry e : TensorLayout.of(model)) {
            expected.add(e.name());
            float[] data = tensor(file, c, e.name(), e.shape());
            System.arraycopy(data, 0, params, e.offset(), data.length);
        }
        if (training != null) {
            expected.add("adam.m");
            expected.add("adam.v");
        }
        for (String name : c.tensors().keySet()) {
            if (!expected.contains(name)) {
                throw new CheckpointFormatException(file, Problem.UNEXPECTED_TENSOR, "tensor " + name + " is not part of model "
                        + model.shortName() + (training == null ? " (weights only)" : "") + "; expected " + expected);
            }
        }
        return new Checkpoint(model, params, training);
    }

    /** Rebuilds the model described by {@code __metadata__.model}. */
    static Sequential model(Path file, Map<String, String> md) throws CheckpointFormatException {
        String json = md.get("model");
        if (json == null) {
            throw new CheckpointFormatException(file, Problem.BAD_METADATA, "expected __metadata__.model (the model description), found none");
        }
        try {
            return ModelJson.fromJson(JsonParser.parseString(json).getAsJsonObject());
        } catch (RuntimeException e) {
            throw new CheckpointFormatException(file, Problem.BAD_METADATA, "invalid model description: " + e.getMessage(), e);
        }
    }

    /** The data of tensor {@code name}, checked against {@code shape}. */
    static float[] tensor(Path file, SafeTensors.Contents c, String name, int[] shape) throws CheckpointFormatException {
        SafeTensors.Tensor t = c.tensors().get(name);
        if (t == null) {
            throw new CheckpointFormatException(file, Problem.MISSING_TENSOR, "expected tensor " + name + " of shape "
                    + Arrays.toString(shape) + ", found none (tensors: " + c.tensors().keySet() + ")");
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new CheckpointFormatException(file, Problem.WRONG_SHAPE, "tensor " + name + ": expected shape "
                    + Arrays.toString(shape) + ", found " + Arrays.toString(t.shape()));
        }
        return t.data();
    }

    // ---- training state as JSON ------------------------------------------------------------------

    static JsonObject trainingJson(Training t) {
        JsonObject o = new JsonObject();
        o.addProperty("epochs_done", t.epochsDone());
        o.addProperty("epochs", t.epochs());
        o.addProperty("step", t.step());
        o.addProperty("seed", t.config().seed());
        o.add("config", configJson(t.config()));
        JsonObject d = new JsonObject();
        d.addProperty("dataset", t.data().dataset());
        d.addProperty("limit", t.data().limit());
        d.addProperty("validation_split", t.data().validationSplit());
        d.add("binarize", t.data().preprocess().binarized() ? new JsonPrimitive(t.data().preprocess().threshold()) : JsonNull.INSTANCE);
        o.add("data", d);
        o.addProperty("backend", t.backend());
        JsonArray h = new JsonArray();
        for (EpochRecord e : t.history()) h.add(epochJson(e));
        o.add("history", h);
        if (t.test() != null) o.add("test", evaluationJson(t.test()));
        return o;
    }

    /**
     * Writes an epoch record as JSON, as in the checkpoint's {@code training.history}.
     *
     * @param e the epoch record
     * @return an object with {@code epoch}, {@code loss}, {@code accuracy}, {@code val_loss},
     *         {@code val_accuracy}, {@code seconds} and {@code samples_per_second}; a NaN or
     *         infinite value (such as absent validation metrics) becomes null
     */
    public static JsonObject epochJson(EpochRecord e) {
        JsonObject o = new JsonObject();
        o.addProperty("epoch", e.epoch());
        o.add("loss", number(e.loss()));
        o.add("accuracy", number(e.accuracy()));
        o.add("val_loss", number(e.valLoss()));
        o.add("val_accuracy", number(e.valAccuracy()));
        o.add("seconds", number(e.seconds()));
        o.add("samples_per_second", number(e.samplesPerSecond()));
        return o;
    }

    /**
     * Writes an evaluation as JSON, as in the checkpoint's {@code training.test}.
     *
     * @param e the evaluation
     * @return an object with {@code loss}, {@code accuracy}, {@code samples} and {@code seconds};
     *         a NaN or infinite value becomes null
     */
    public static JsonObject evaluationJson(Evaluation e) {
        JsonObject o = new JsonObject();
        o.add("loss", number(e.loss()));
        o.add("accuracy", number(e.accuracy()));
        o.addProperty("samples", e.samples());
        o.add("seconds", number(e.seconds()));
        return o;
    }

    /** NB: JSON has no NaN; it becomes null. */
    private static JsonElement number(double x) {
        return Double.isFinite(x) ? new JsonPrimitive(x) : JsonNull.INSTANCE;
    }

    private static double number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }

    static JsonObject configJson(TrainConfig c) {
        JsonObject o = new JsonObject();
        o.addProperty("learning_rate", c.learningRate());
        o.addProperty("beta1", c.beta1());
        o.addProperty("beta2", c.beta2());
        o.addProperty("epsilon", c.epsilon());
        o.addProperty("batch_size", c.batchSize());
        o.addProperty("seed", c.seed());
        o.addProperty("shuffle", c.shuffle());
        o.addProperty("log_interval", c.logInterval());
        o.addProperty("eval_batch_size", c.evalBatchSize());
        if (c.bucketing()) o.addProperty("bucketing", true);   // NB: only when on, so earlier files read the same
        return o;
    }

    static TrainConfig config(JsonObject o) {
        return new TrainConfig(req(o, "learning_rate").getAsFloat(), req(o, "beta1").getAsFloat(),
                req(o, "beta2").getAsFloat(), req(o, "epsilon").getAsFloat(), req(o, "batch_size").getAsInt(),
                req(o, "seed").getAsLong(), req(o, "shuffle").getAsBoolean(), req(o, "log_interval").getAsInt(),
                req(o, "eval_batch_size").getAsInt(),
                o.has("bucketing") && o.get("bucketing").getAsBoolean());   // NB: absent in checkpoints before issue 16
    }

    private static Training parseTraining(JsonObject o, SafeTensors.Contents c, int p, Path file) throws CheckpointFormatException {
        TrainConfig config = config(req(o, "config").getAsJsonObject());
        JsonObject d = req(o, "data").getAsJsonObject();
        JsonElement bin = d.get("binarize");
        Preprocess pre = bin == null || bin.isJsonNull() ? Preprocess.SCALE : Preprocess.binarize(bin.getAsFloat());
        DataSelection data = new DataSelection(req(d, "dataset").getAsString(), req(d, "limit").getAsInt(),
                req(d, "validation_split").getAsDouble(), pre);
        List<EpochRecord> history = new ArrayList<>();
        for (JsonElement el : req(o, "history").getAsJsonArray()) {
            JsonObject e = el.getAsJsonObject();
            history.add(new EpochRecord(req(e, "epoch").getAsInt(), number(e, "loss"), number(e, "accuracy"),
                    number(e, "val_loss"), number(e, "val_accuracy"), number(e, "seconds"), number(e, "samples_per_second")));
        }
        Evaluation test = null;
        if (o.has("test")) {
            JsonObject t = o.getAsJsonObject("test");
            test = new Evaluation(number(t, "loss"), number(t, "accuracy"), req(t, "samples").getAsInt(), number(t, "seconds"));
        }
        int epochsDone = req(o, "epochs_done").getAsInt();
        if (history.size() > epochsDone) {
            throw new IllegalArgumentException("epochs_done is " + epochsDone + " but the history has " + history.size() + " epochs");
        }
        float[] m = tensor(file, c, "adam.m", new int[] {p});
        float[] v = tensor(file, c, "adam.v", new int[] {p});
        return new Training(config, m, v, req(o, "step").getAsLong(), epochsDone, req(o, "epochs").getAsInt(),
                data, req(o, "backend").getAsString(), history, test);
    }

    private static JsonElement req(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) throw new IllegalArgumentException("missing '" + key + "'");
        return e;
    }
}
