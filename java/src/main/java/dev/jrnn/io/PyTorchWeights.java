package dev.jrnn.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.io.CheckpointFormatException.Problem;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Masking;
import dev.jrnn.nn.Recurrent;
import dev.jrnn.nn.Sequential;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Weights under PyTorch's {@code state_dict} names, in a safetensors file: what a module holding
 * {@code nn.LSTM}/{@code nn.GRU} ({@code batch_first=True}) and {@code nn.Linear} layers loads.
 *
 * <p>Consecutive recurrent layers of one cell, width and activation become one module with
 * {@code num_layers = L}, named after the first layer ({@code lstm}); each Dense layer becomes an
 * {@code nn.Linear} under its own name:
 * <pre>
 *   lstm.weight_ih_l{k} (G*H, F_k)   lstm.weight_hh_l{k} (G*H, H)   = jrnn W, R (same gate order)
 *   lstm.bias_ih_l{k}   (G*H)        lstm.bias_hh_l{k}   (G*H)
 *   dense.weight (out, in)           dense.bias (out)               = jrnn W, b
 * </pre>
 * NB: a jrnn LSTM has one bias per gate; it is exported as {@code bias_ih = b},
 * {@code bias_hh = 0} (PyTorch adds the two), and imported as {@code b = bias_ih + bias_hh}.
 * A GRU's two biases map directly: {@code bW -> bias_ih}, {@code bR -> bias_hh}.
 *
 * <p>A {@link Bidirectional} layer becomes a module with {@code bidirectional=True}: its forward
 * direction's block under the names above, its reverse direction's under the same names with
 * {@code _reverse} ({@code lstm.weight_ih_l0_reverse}, ...); consecutive CONCAT layers that stack
 * ({@link Bidirectional#stacksOn}) become one module with {@code num_layers}. A SUM merge has no
 * PyTorch module: its entry in {@code modules} says {@code "merge": "sum"} and the script adds the
 * two halves of the module's output. A {@link Masking} layer has no weights; its entry gives the
 * {@code mask_value} from which the script packs the sequences
 * ({@code pack_padded_sequence}).
 *
 * <p>{@code __metadata__}: {@code format = "pt"} (the safetensors convention for PyTorch),
 * {@code jrnn.model} (the model, see {@link ModelJson}) and {@code modules}, a JSON list of the
 * PyTorch modules to build ({@code type} LSTM, GRU, Dropout or Linear with their arguments and
 * the activation applied after each Linear), which {@code scripts/check_pytorch_export.py} reads.
 */
public final class PyTorchWeights {
    private PyTorchWeights() {}

    /** {@code __metadata__.format} of an export. */
    public static final String FORMAT = "pt";

    private static final Pattern RNN_WEIGHT = Pattern.compile("(.+)\\.weight_ih_l(\\d+)");

    /**
     * Writes a checkpoint's weights under PyTorch names to {@code file}, atomically (see
     * {@link AtomicFiles}); a training state in {@code c} is not exported.
     *
     * @param c    the checkpoint whose model and parameters to export
     * @param file the safetensors file to write; its directory is created if needed
     * @throws IOException if the file cannot be written; a previous file is then left intact
     */
    public static void save(Checkpoint c, Path file) throws IOException {
        Sequential model = c.model();
        List<SafeTensors.Tensor> tensors = new ArrayList<>();
        for (Mapped m : mapping(model)) {
            float[] data = new float[m.size()];
            if (m.jrnnOffset >= 0) System.arraycopy(c.params(), m.jrnnOffset, data, 0, data.length);
            tensors.add(new SafeTensors.Tensor(m.name(), m.shape, data));   // LSTM bias_hh stays 0
        }
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", FORMAT);
        md.put("jrnn.model", ModelJson.toJson(model).toString());
        md.put("modules", modules(model).toString());
        SafeTensors.write(file, md, tensors);
    }

    /**
     * Reads PyTorch-named weights as a weights-only checkpoint. The model comes from
     * {@code __metadata__["jrnn.model"]} when present; otherwise it is inferred as the seed
     * notebook's family: one recurrent module ({@code X.weight_ih_l0..}; LSTM or GRU from the gate
     * count, width and depth from the shapes, {@link Bidirectional} CONCAT layers when it has
     * {@code X.weight_ih_l0_reverse}) over {@code steps} timesteps, then the
     * {@code nn.Linear} layers chained by their shapes, each after a Dropout({@code dropout}), with
     * relu between them and softmax at the end.
     *
     * @param file       a safetensors file with PyTorch {@code state_dict} names, F32 tensors
     * @param steps      T, timesteps per sample, when inferring; ignored with {@code jrnn.model}
     * @param activation cell activation when inferring (PyTorch's LSTM/GRU use tanh)
     * @param dropout    rate of the inferred Dropout layers, in [0, 1); ignored with
     *                   {@code jrnn.model}
     * @return a weights-only checkpoint (no training state) in jrnn's canonical layout
     * @throws IllegalArgumentException  when inferring with a non-positive {@code steps}, an
     *                                   activation other than tanh or relu, or a rate outside
     *                                   [0, 1)
     * @throws CheckpointFormatException when names, shapes or the architecture do not fit
     * @throws IOException               when the file cannot be read
     */
    public static Checkpoint load(Path file, int steps, Activation activation, double dropout) throws IOException {
        return fromContents(file, SafeTensors.read(file), steps, activation, dropout);
    }

    /** {@link #load} of a file already read; {@code file} only names it in errors (and fuzz tests skip the disk). */
    static Checkpoint fromContents(Path file, SafeTensors.Contents c, int steps, Activation activation, double dropout)
            throws IOException {
        Inferred inf = c.metadata().containsKey("jrnn.model")
                ? new Inferred(modelFromMetadata(file, c.metadata()), Map.of())
                : infer(file, c, steps, activation, dropout);
        Sequential model = inf.model();
        float[] params = new float[model.paramCount()];
        Set<String> used = new LinkedHashSet<>();
        for (Mapped m : mapping(model)) {
            String name = inf.aliases().getOrDefault(m.module, m.module) + "." + m.param;
            float[] data = Checkpoint.tensor(file, c, name, m.shape);
            used.add(name);
            if (m.jrnnOffset >= 0) {
                System.arraycopy(data, 0, params, m.jrnnOffset, data.length);
            } else {
                // LSTM bias_hh: fold into the single bias. NB: skip exact zeros so b keeps its bits (and sign) on a round trip.
                for (int i = 0; i < data.length; i++) {
                    if (data[i] != 0f) params[m.foldInto + i] += data[i];
                }
            }
        }
        for (String name : c.tensors().keySet()) {
            if (!used.contains(name)) {
                throw new CheckpointFormatException(file, Problem.UNEXPECTED_TENSOR, "tensor " + name
                        + " has no place in model " + model.shortName() + "; expected " + used);
            }
        }
        return new Checkpoint(model, params, null);
    }

    private static Sequential modelFromMetadata(Path file, Map<String, String> md) throws CheckpointFormatException {
        Map<String, String> renamed = new LinkedHashMap<>(md);
        renamed.put("model", md.get("jrnn.model"));
        return Checkpoint.model(file, renamed);
    }

    /**
     * One PyTorch tensor and where it lives in jrnn's flat buffer.
     *
     * @param jrnnOffset offset of the same numbers in jrnn's buffer, or -1 for an LSTM's
     *                   {@code bias_hh}, which is added to the bias at {@code foldInto}
     */
    private record Mapped(String module, String param, int[] shape, int jrnnOffset, int foldInto) {
        String name() {
            return module + "." + param;
        }

        int size() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    private static List<Mapped> mapping(Sequential model) {
        List<Mapped> out = new ArrayList<>();
        String group = null;
        int k = 0;
        Layer prev = null;
        for (int i = 0; i < model.layers().size(); i++) {
            Layer layer = model.layers().get(i);
            int off = model.paramOffset(i);
            RnnSpec spec = switch (layer) {
                case Recurrent r -> r.spec(model.inputShape(i).dim(1));
                case Bidirectional b -> b.spec(model.inputShape(i).dim(1));
                default -> null;
            };
            if (spec != null) {
                if (Sequential.stacks(prev, layer)) {
                    k++;
                } else {
                    group = model.names().get(i);
                    k = 0;
                }
                prev = layer;
                for (int d = 0; d < spec.directions(); d++) {
                    RnnSpec s = spec.unidirectional();
                    int o = off + spec.directionOffset(d);
                    String suffix = k + (d == 1 ? "_reverse" : "");
                    int gh = s.gateWidth();
                    out.add(new Mapped(group, "weight_ih_l" + suffix, new int[] {gh, s.inputSize()}, o + s.offsetW(), -1));
                    out.add(new Mapped(group, "weight_hh_l" + suffix, new int[] {gh, s.units()}, o + s.offsetR(), -1));
                    out.add(new Mapped(group, "bias_ih_l" + suffix, new int[] {gh}, o + s.offsetBias(), -1));
                    if (s.cell() == RnnSpec.Cell.LSTM) {
                        out.add(new Mapped(group, "bias_hh_l" + suffix, new int[] {gh}, -1, o + s.offsetBias()));
                    } else {
                        out.add(new Mapped(group, "bias_hh_l" + suffix, new int[] {gh}, o + s.offsetBias() + gh, -1));
                    }
                }
                continue;
            }
            prev = null;
            if (layer instanceof Dense d) {
                String name = model.names().get(i);
                int in = model.inputShape(i).dim(0);
                out.add(new Mapped(name, "weight", new int[] {d.units(), in}, off, -1));
                out.add(new Mapped(name, "bias", new int[] {d.units()}, off + d.units() * in, -1));
            }
        }
        return out;
    }


    /** The PyTorch modules, in order, as the check script builds them. */
    static JsonArray modules(Sequential model) {
        JsonArray out = new JsonArray();
        JsonObject rnn = null;
        Layer prev = null;
        for (int i = 0; i < model.layers().size(); i++) {
            Layer layer = model.layers().get(i);
            Recurrent r = switch (layer) {
                case Recurrent x -> x;
                case Bidirectional b -> b.layer();
                default -> null;
            };
            if (r != null) {
                if (Sequential.stacks(prev, layer)) {
                    rnn.addProperty("num_layers", rnn.get("num_layers").getAsInt() + 1);
                } else {
                    rnn = new JsonObject();
                    rnn.addProperty("name", model.names().get(i));
                    rnn.addProperty("type", r.typeName());
                    rnn.addProperty("input_size", model.inputShape(i).dim(1));
                    rnn.addProperty("hidden_size", r.units());
                    rnn.addProperty("num_layers", 1);
                    rnn.addProperty("batch_first", true);
                    rnn.addProperty("nonlinearity", r.activation().keyword());
                    if (layer instanceof Bidirectional b) {
                        rnn.addProperty("bidirectional", true);
                        rnn.addProperty("merge", b.merge().keyword());
                    }
                    out.add(rnn);
                }
                rnn.addProperty("return_sequences", r.returnSequences());
                prev = layer;
                continue;
            }
            prev = null;
            JsonObject m = new JsonObject();
            m.addProperty("name", model.names().get(i));
            switch (layer) {
                case Dropout d -> {
                    m.addProperty("type", "Dropout");
                    m.addProperty("p", d.rate());
                }
                case Dense d -> {
                    m.addProperty("type", "Linear");
                    m.addProperty("in_features", model.inputShape(i).dim(0));
                    m.addProperty("out_features", d.units());
                    m.addProperty("activation", d.activation().keyword());
                }
                case Masking k -> {
                    m.addProperty("type", "Masking");
                    m.addProperty("mask_value", k.value());
                }
                case Recurrent x -> throw new AssertionError(x);
                case Bidirectional x -> throw new AssertionError(x);
            }
            out.add(m);
        }
        return out;
    }

    /**
     * An inferred model and, for each of its canonical module names ({@code lstm}, {@code dense},
     * {@code dense_1}), the name the file uses ({@code rnn}, {@code fc1}, ...).
     */
    private record Inferred(Sequential model, Map<String, String> aliases) {}

    private static Inferred infer(Path file, SafeTensors.Contents c, int steps, Activation activation, double dropout)
            throws CheckpointFormatException {
        Map<String, TreeMap<Integer, SafeTensors.Tensor>> rnns = new LinkedHashMap<>();
        for (SafeTensors.Tensor t : c.tensors().values()) {
            Matcher m = RNN_WEIGHT.matcher(t.name());
            if (m.matches()) rnns.computeIfAbsent(m.group(1), x -> new TreeMap<>()).put(Integer.parseInt(m.group(2)), t);
        }
        if (rnns.size() != 1) {
            throw new CheckpointFormatException(file, Problem.BAD_METADATA, "cannot infer the model: expected one recurrent module"
                    + " (tensors NAME.weight_ih_l0, ...), found " + rnns.keySet()
                    + "; files jrnn exports carry __metadata__[\"jrnn.model\"]");
        }
        String prefix = rnns.keySet().iterator().next();
        TreeMap<Integer, SafeTensors.Tensor> ih = rnns.get(prefix);
        int layers = ih.size();
        if (ih.firstKey() != 0 || ih.lastKey() != layers - 1) {
            throw new CheckpointFormatException(file, Problem.MISSING_TENSOR, prefix + ": expected layers l0..l" + (layers - 1)
                    + ", found " + ih.keySet());
        }
        SafeTensors.Tensor hh = c.tensors().get(prefix + ".weight_hh_l0");
        if (hh == null || hh.shape().length != 2 || hh.shape()[1] == 0 || hh.shape()[0] % hh.shape()[1] != 0) {
            throw new CheckpointFormatException(file, Problem.MISSING_TENSOR, "expected " + prefix
                    + ".weight_hh_l0 of shape (G*H, H), found " + (hh == null ? "none" : Arrays.toString(hh.shape())));
        }
        int units = hh.shape()[1], gates = hh.shape()[0] / units;
        RnnSpec.Cell cell = switch (gates) {
            case 4 -> RnnSpec.Cell.LSTM;
            case 3 -> RnnSpec.Cell.GRU;
            default -> throw new CheckpointFormatException(file, Problem.WRONG_SHAPE, prefix + ".weight_hh_l0 has "
                    + gates + " gates of " + units + " units; expected 4 (LSTM) or 3 (GRU)");
        };
        int features = ih.get(0).shape().length == 2 ? ih.get(0).shape()[1] : -1;
        // NB: PyTorch's bidirectional=True adds NAME.weight_ih_l{k}_reverse, ...: Bidirectional CONCAT layers
        boolean bidirectional = c.tensors().containsKey(prefix + ".weight_ih_l0_reverse");
        Sequential.Builder b = Sequential.builder().input(steps, features);
        for (int l = 0; l < layers; l++) {
            boolean seq = l < layers - 1;
            Recurrent r = cell == RnnSpec.Cell.LSTM ? new LSTM(units, activation, seq) : new GRU(units, activation, seq);
            b.add(bidirectional ? new Bidirectional(r) : r);
        }
        // Chain the Linear layers by shape, starting from the recurrent width.
        List<SafeTensors.Tensor> linear = new ArrayList<>();
        for (SafeTensors.Tensor t : c.tensors().values()) {
            if (t.name().endsWith(".weight") && t.shape().length == 2 && !t.name().startsWith(prefix + ".")) linear.add(t);
        }
        int width = bidirectional ? 2 * units : units;
        List<Integer> outs = new ArrayList<>();
        List<String> linearNames = new ArrayList<>();
        while (!linear.isEmpty()) {
            final int w = width;
            List<SafeTensors.Tensor> next = linear.stream().filter(t -> t.shape()[1] == w).toList();
            if (next.size() != 1) {
                throw new CheckpointFormatException(file, Problem.BAD_METADATA, "cannot infer the model: expected one Linear weight"
                        + " with " + w + " inputs, found " + next.stream().map(SafeTensors.Tensor::name).toList());
            }
            linear.remove(next.get(0));
            String n = next.get(0).name();
            linearNames.add(n.substring(0, n.length() - ".weight".length()));
            width = next.get(0).shape()[0];
            outs.add(width);
        }
        if (outs.isEmpty()) {
            throw new CheckpointFormatException(file, Problem.MISSING_TENSOR, "cannot infer the model: no Linear layer (NAME.weight, NAME.bias)");
        }
        for (int i = 0; i < outs.size(); i++) {
            boolean last = i == outs.size() - 1;
            b.add(new Dropout(dropout)).add(new Dense(outs.get(i), last ? Activation.SOFTMAX : Activation.RELU));
        }
        Sequential inferred;
        try {
            inferred = b.build();
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(file, Problem.BAD_METADATA, "cannot infer the model: " + e.getMessage(), e);
        }
        Map<String, String> aliases = new LinkedHashMap<>();
        aliases.put(inferred.names().get(0), prefix);
        int dense = 0;
        for (int i = 0; i < inferred.layers().size(); i++) {
            if (inferred.layers().get(i) instanceof Dense) aliases.put(inferred.names().get(i), linearNames.get(dense++));
        }
        return new Inferred(inferred, aliases);
    }
}
