package dev.jrnn.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rows of a JMH JSON result file ({@code -rf json}), reduced to what {@link JmhReport}
 * needs: which benchmark, its parameters, and one score with its error.
 *
 * <p>The score of a row is its most telling metric: the secondary metric {@code samples}
 * (samples/s, jrnn's model benchmarks), else {@code GB} (GB/s, jrnn's kernel benchmarks), else
 * JMH's primary metric in its own unit.
 */
public final class JmhResults {
    private JmhResults() {}

    /**
     * A score and its JMH error: the half-width of the 99.9% confidence interval over all
     * measured iterations of all forks; NaN when JMH could not compute one (a single iteration).
     */
    public record Estimate(double value, double error) {
        /** Relative error {@code error / |value|}. */
        public double relative() {
            return error / Math.abs(value);
        }

        /**
         * {@code this / other}, with the relative errors added in quadrature:
         * {@code δr/r = sqrt((δa/a)² + (δb/b)²)} (independent measurements).
         */
        public Estimate over(Estimate other) {
            double r = value / other.value;
            return new Estimate(r, Math.abs(r) * Math.hypot(relative(), other.relative()));
        }
    }

    /**
     * One result row.
     *
     * @param benchmark  the class's simple name, e.g. {@code TrainingBenchmark}
     * @param method     the benchmark method, e.g. {@code trainStep}
     * @param params     JMH parameters by name, e.g. {@code cell=lstm}
     * @param score      the row's score (see the class comment)
     * @param unit       its unit, e.g. {@code samples/s}
     * @param timing     how it was measured, e.g. {@code 1 fork x (2 x 1 s warm-up + 3 x 1 s measured)}
     * @param drift      mean of the second half of the measured iterations over the mean of the
     *                   first half (averaged over forks): near 1 for a steady measurement; NaN
     *                   with fewer than 4 iterations per fork
     */
    public record Row(String benchmark, String method, Map<String, String> params, Estimate score, String unit,
                      String timing, double drift) {
        /** {@code benchmark.method}. */
        public String name() {
            return benchmark + "." + method;
        }

        /** A parameter, or null when the row has none of that name. */
        public String param(String key) {
            return params.get(key);
        }

        /** Whether the row has every one of these parameters. */
        public boolean has(String... keys) {
            for (String k : keys) if (!params.containsKey(k)) return false;
            return true;
        }
    }

    /** Run-wide facts from the first row. */
    public record Run(String jmhVersion, String jdk, String vm, List<String> jvmArgs) {}

    /** The parsed file. */
    public record Results(Run run, List<Row> rows) {}

    /** Reads a JMH JSON result file. */
    public static Results read(Path json) throws IOException {
        try {
            return parse(Files.readString(json));
        } catch (IllegalArgumentException e) {
            throw new IOException(json + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses the text of a JMH JSON result file.
     *
     * @throws IllegalArgumentException when it is not a JSON array of JMH results
     */
    public static Results parse(String text) {
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("expected JMH's JSON result (a JSON array), found malformed JSON: "
                    + e.getMessage(), e);
        }
        if (!root.isJsonArray()) {
            throw new IllegalArgumentException("expected JMH's JSON result (a JSON array), found a JSON "
                    + (root.isJsonObject() ? "object" : "value"));
        }
        JsonArray a = root.getAsJsonArray();
        List<Row> rows = new ArrayList<>();
        Run run = null;
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).isJsonObject()) throw new IllegalArgumentException("result " + i + " is not a JSON object");
            JsonObject o = a.get(i).getAsJsonObject();
            try {
                rows.add(row(o));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("result " + i + " is not a JMH result (" + e.getMessage() + ")", e);
            }
            if (run == null) {
                List<String> args = new ArrayList<>();
                if (o.has("jvmArgs")) for (JsonElement e : o.getAsJsonArray("jvmArgs")) args.add(e.getAsString());
                run = new Run(str(o, "jmhVersion"), str(o, "jdkVersion"), str(o, "vmName") + " " + str(o, "vmVersion"),
                        List.copyOf(args));
            }
        }
        if (run == null) run = new Run("?", "?", "?", List.of());
        return new Results(run, Collections.unmodifiableList(rows));
    }

    private static Row row(JsonObject o) {
        String full = need(o, "benchmark").getAsString();
        int dot = full.lastIndexOf('.');
        if (dot <= 0) throw new IllegalArgumentException("benchmark name '" + full + "' has no class");
        String cls = full.substring(0, dot), method = full.substring(dot + 1);
        cls = cls.substring(cls.lastIndexOf('.') + 1);
        Map<String, String> params = new LinkedHashMap<>();
        if (o.has("params")) {
            for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("params").entrySet()) {
                params.put(e.getKey(), e.getValue().getAsString());
            }
        }
        JsonObject metric = need(o, "primaryMetric").getAsJsonObject();
        String unit = need(metric, "scoreUnit").getAsString();
        JsonObject secondary = o.has("secondaryMetrics") ? o.getAsJsonObject("secondaryMetrics") : new JsonObject();
        if (secondary.has("samples")) {
            metric = secondary.getAsJsonObject("samples");
            unit = "samples/s";
        } else if (secondary.has("GB")) {
            metric = secondary.getAsJsonObject("GB");
            unit = "GB/s";
        }
        // NB: JMH writes a NaN error as the string "NaN"; Gson's getAsDouble parses it.
        Estimate score = new Estimate(need(metric, "score").getAsDouble(),
                metric.has("scoreError") ? metric.get("scoreError").getAsDouble() : Double.NaN);
        int forks = o.has("forks") ? o.get("forks").getAsInt() : 0;
        String timing = String.format(Locale.ROOT, "%d fork%s x (%s x %s warm-up + %s x %s measured)", forks,
                forks == 1 ? "" : "s", str(o, "warmupIterations"), str(o, "warmupTime"),
                str(o, "measurementIterations"), str(o, "measurementTime"));
        return new Row(cls, method, Collections.unmodifiableMap(params), score, unit, timing, drift(metric));
    }

    /** Second-half over first-half mean of each fork's iterations, averaged over forks; NaN if too few. */
    static double drift(JsonObject metric) {
        if (!metric.has("rawData") || !metric.get("rawData").isJsonArray()) return Double.NaN;
        double sum = 0;
        int forks = 0;
        for (JsonElement fork : metric.getAsJsonArray("rawData")) {
            if (!fork.isJsonArray() || fork.getAsJsonArray().size() < 4) return Double.NaN;
            JsonArray it = fork.getAsJsonArray();
            int n = it.size(), h = n / 2;
            double first = 0, second = 0;
            for (int i = 0; i < h; i++) first += it.get(i).getAsDouble() / h;
            for (int i = n - h; i < n; i++) second += it.get(i).getAsDouble() / h;
            sum += second / first;
            forks++;
        }
        return forks == 0 ? Double.NaN : sum / forks;
    }

    private static JsonElement need(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) throw new IllegalArgumentException("missing '" + key + "'");
        return e;
    }

    private static String str(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? "?" : e.getAsString();
    }
}
