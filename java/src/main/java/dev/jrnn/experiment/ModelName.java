package dev.jrnn.experiment;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A notebook model by name, {@code <cell><units>[x<layers>]}: {@code lstm32}, {@code gru64},
 * {@code lstm32x4} (four stacked LSTM(32)); as {@link Sequential#shortName()} prints them.
 *
 * @param cell   LSTM or GRU
 * @param units  hidden units per recurrent layer
 * @param layers stacked recurrent layers
 */
public record ModelName(RnnSpec.Cell cell, int units, int layers) {
    private static final Pattern SYNTAX = Pattern.compile("(lstm|gru)(\\d{1,6})(?:x(\\d{1,3}))?");

    /** The seed notebook's six models. */
    public static final List<ModelName> NOTEBOOK = List.of(parse("lstm32"), parse("lstm64"), parse("gru32"),
            parse("gru64"), parse("lstm32x4"), parse("gru32x4"));

    public ModelName {
        if (units <= 0 || layers <= 0) {
            throw new IllegalArgumentException("units and layers must be positive, found " + units + " and " + layers);
        }
    }

    /**
     * Parses {@code lstm32}, {@code GRU64}, {@code lstm32x4}.
     *
     * @throws IllegalArgumentException naming the expected syntax
     */
    public static ModelName parse(String s) {
        Matcher m = SYNTAX.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("model '" + s + "' is not <cell><units>[x<layers>], e.g. lstm32, gru64, lstm32x4");
        }
        return new ModelName(RnnSpec.Cell.parse(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 1 : Integer.parseInt(m.group(3)));
    }

    /** Parses a comma-separated list, dropping repeats. */
    public static List<ModelName> parseList(String csv) {
        List<ModelName> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            if (s.isBlank()) continue;
            ModelName n = parse(s);
            if (!out.contains(n)) out.add(n);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no models in '" + csv + "'");
        return out;
    }

    /** The notebook model: the recurrent stack, Dropout, Dense(64, relu), Dropout, Dense(classes, softmax). */
    public Sequential build(Activation activation, double dropout, int steps, int features, int classes) {
        return Sequential.notebook(cell, units, layers, activation, dropout, steps, features, classes);
    }

    /** The size part of the name: {@code 32} or {@code 32x4}; LSTM and GRU of one size are compared on it. */
    public String size() {
        return layers == 1 ? Integer.toString(units) : units + "x" + layers;
    }

    @Override
    public String toString() {
        return cell.name().toLowerCase(Locale.ROOT) + size();
    }
}
