package dev.jrnn.bench;

import dev.jrnn.bench.JmhResults.Estimate;
import dev.jrnn.bench.JmhResults.Results;
import dev.jrnn.bench.JmhResults.Row;
import dev.jrnn.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Turns the JMH JSON of jrnn's benchmarks ({@code benchmarks/}, {@code dev.jrnn.bench}) into a
 * report a person reads at a glance: {@code report.md} with the GRU/LSTM speed ratio per shape
 * and backend, the GPU/CPU ratio per shape, the kernels' GB/s, and PNG charts
 * ({@link JmhCharts}).
 *
 * <p>Every score carries JMH's error (half-width of its 99.9% confidence interval); a ratio
 * {@code r = a / b} carries {@code δr = r sqrt((δa/a)² + (δb/b)²)}, the relative errors added in
 * quadrature (the two measurements are independent).
 */
public final class JmhReport {
    private JmhReport() {}

    /** The report's file name. */
    public static final String REPORT_FILE = "report.md";

    /** The machine description the runner writes beside the JSON, one fact per line. */
    public static final String MACHINE_FILE = "machine.txt";

    /** The model benchmarks (samples/s) in report order, with their labels. */
    static final Map<String, String> MODEL_BENCHMARKS = labels(
            "TrainingBenchmark.trainStep", "train step",
            "TrainingBenchmark.inference", "inference",
            "RnnLayerBenchmark.forward", "RNN forward",
            "RnnLayerBenchmark.forwardBackward", "RNN fwd+bwd");

    /** The kernel benchmarks (GB/s) in report order, with their labels. */
    static final Map<String, String> KERNEL_BENCHMARKS = labels(
            "KernelBenchmark.dropoutForward", "dropout fwd",
            "KernelBenchmark.dropoutBackward", "dropout bwd",
            "KernelBenchmark.softmax", "softmax",
            "KernelBenchmark.softmaxCrossEntropy", "softmax + CE");

    static final String CPU = "cpu", GPU = "cuda";

    /** A row whose second half of measured iterations differs from the first by more than this factor is marked. */
    static final double DRIFT = 1.15;

    /** Whether a row's measurement drifted: warm-up too short, or the machine's load changed. */
    static boolean drifted(Row r) {
        return Double.isFinite(r.drift()) && Math.abs(Math.log(r.drift())) > Math.log(DRIFT);
    }

    private static Map<String, String> labels(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    /**
     * Writes {@code report.md} and the charts into {@code outDir}; {@code machine.txt} beside the
     * JSON, when present, describes the run and the machine (one fact per line, e.g.
     * {@code Profile: ...}, {@code CPU: ...}, {@code Skipped backend cuda: <reason>}).
     *
     * @return the files written: the report first, then the charts
     */
    public static List<Path> write(Path json, Path outDir) throws IOException {
        Results results = JmhResults.read(json);
        Path machineFile = json.toAbsolutePath().getParent().resolve(MACHINE_FILE);
        List<String> machine = Files.isRegularFile(machineFile) ? Files.readAllLines(machineFile) : List.of();
        Files.createDirectories(outDir);
        List<Path> charts = JmhCharts.write(outDir, results.rows());
        Path report = outDir.resolve(REPORT_FILE);
        List<String> names = charts.stream().map(p -> p.getFileName().toString()).toList();
        AtomicFiles.writeString(report, markdown(results, machine, json.getFileName().toString(), names));
        List<Path> all = new ArrayList<>();
        all.add(report);
        all.addAll(charts);
        return all;
    }

    // ---- the model benchmarks' keys ------------------------------------------------------------

    /** Whether a row is one of jrnn's model benchmarks with its full grid of parameters. */
    static boolean isModel(Row r) {
        return MODEL_BENCHMARKS.containsKey(r.name()) && r.has("cell", "units", "layers", "batch", "backend");
    }

    /** Whether a row is one of jrnn's kernel benchmarks. */
    static boolean isKernel(Row r) {
        return KERNEL_BENCHMARKS.containsKey(r.name()) && r.has("shape", "backend");
    }

    /** {@code H32 L1 B256}: units, layers, batch (and {@code relu} for relu cells). */
    static String shape(Row r) {
        String act = r.param("activation");
        return "H" + r.param("units") + " L" + r.param("layers") + " B" + r.param("batch")
                + (act == null || act.equals("tanh") ? "" : " " + act);
    }

    static String label(Row r) {
        return MODEL_BENCHMARKS.getOrDefault(r.name(), KERNEL_BENCHMARKS.getOrDefault(r.name(), r.name()));
    }

    /** Report order: benchmark, backend (cpu first), cell (lstm first), units, layers, batch, shape. */
    static final Comparator<Row> ORDER = Comparator
            .comparingInt((Row r) -> rank(r.name()))
            .thenComparing(Row::name)
            .thenComparingInt(r -> backendRank(r.param("backend")))
            .thenComparing(r -> Objects.toString(r.param("backend"), ""))
            .thenComparing(r -> Objects.toString(r.param("cell"), ""), Comparator.reverseOrder())
            .thenComparingLong(r -> num(r.param("units")))
            .thenComparingLong(r -> num(r.param("layers")))
            .thenComparingLong(r -> num(r.param("batch")))
            .thenComparingLong(r -> elements(r.param("shape")));

    private static int rank(String name) {
        int i = 0;
        for (String k : MODEL_BENCHMARKS.keySet()) {
            if (k.equals(name)) return i;
            i++;
        }
        for (String k : KERNEL_BENCHMARKS.keySet()) {
            if (k.equals(name)) return i;
            i++;
        }
        return i;
    }

    private static int backendRank(String b) {
        return CPU.equals(b) ? 0 : GPU.equals(b) ? 1 : 2;
    }

    private static long num(String s) {
        if (s == null) return 0;
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Elements of a {@code ROWSxCOLS} shape; 0 when it is not one. */
    static long elements(String shape) {
        if (shape == null) return 0;
        String[] p = shape.toLowerCase(Locale.ROOT).split("x");
        return p.length == 2 ? num(p[0]) * num(p[1]) : 0;
    }

    /** A pairing of two rows that differ in one parameter, e.g. GRU and LSTM of one shape. */
    record Pair(Row base, Row other) {
        Estimate ratio() {
            return base == null || other == null ? null : other.score().over(base.score());
        }

        Row any() {
            return base != null ? base : other;
        }
    }

    /**
     * Pairs the rows that agree on every parameter but {@code key}, taking {@code baseValue} as
     * denominator and {@code otherValue} as numerator; in report order.
     */
    static List<Pair> pairs(List<Row> rows, String key, String baseValue, String otherValue) {
        Map<String, Row[]> byRest = new LinkedHashMap<>();
        for (Row r : rows.stream().sorted(ORDER).toList()) {
            String v = r.param(key);
            if (!baseValue.equals(v) && !otherValue.equals(v)) continue;
            Map<String, String> rest = new LinkedHashMap<>(r.params());
            rest.remove(key);
            Row[] slot = byRest.computeIfAbsent(r.name() + " " + rest, k -> new Row[2]);
            slot[baseValue.equals(v) ? 0 : 1] = r;
        }
        return byRest.values().stream().map(s -> new Pair(s[0], s[1])).toList();
    }

    // ---- Markdown ------------------------------------------------------------------------------

    static String markdown(Results results, List<String> machine, String source, List<String> charts) {
        List<Row> rows = results.rows();
        List<Row> model = rows.stream().filter(JmhReport::isModel).toList();
        List<Row> kernels = rows.stream().filter(JmhReport::isKernel).toList();
        List<Row> others = rows.stream().filter(r -> !isModel(r) && !isKernel(r)).sorted(ORDER).toList();
        boolean gpuRows = rows.stream().anyMatch(r -> GPU.equals(r.param("backend")));
        List<Pair> cellPairs = pairs(model, "cell", "lstm", "gru");
        List<Pair> devicePairs = pairs(model, "backend", CPU, GPU);
        String skipped = machine.stream().filter(l -> l.startsWith("Skipped backend")).findFirst().orElse(null);

        StringBuilder md = new StringBuilder();
        md.append("# jrnn benchmarks (JMH)\n\n");
        md.append("Source: `").append(source).append("` (").append(rows.size()).append(" rows).\n\n");

        md.append("## At a glance\n\n");
        List<String> glance = new ArrayList<>();
        for (String bench : MODEL_BENCHMARKS.keySet()) {
            for (String be : backends(model)) {
                glance(glance, "GRU/LSTM samples/s, " + MODEL_BENCHMARKS.get(bench) + " on " + be,
                        cellPairs, p -> p.any().name().equals(bench) && be.equals(p.any().param("backend")));
            }
        }
        if (gpuRows) {
            for (String bench : MODEL_BENCHMARKS.keySet()) {
                for (String cell : List.of("lstm", "gru")) {
                    glance(glance, "GPU/CPU samples/s, " + MODEL_BENCHMARKS.get(bench) + ", " + cell.toUpperCase(Locale.ROOT),
                            devicePairs, p -> p.any().name().equals(bench) && cell.equals(p.any().param("cell")));
                }
            }
        } else {
            glance.add("GPU/CPU: no GPU rows in this run" + (skipped == null ? "." : " (" + skipped + ")."));
        }
        List<Row> drifting = rows.stream().filter(JmhReport::drifted).sorted(ORDER).toList();
        if (!drifting.isEmpty()) {
            StringBuilder w = new StringBuilder(String.format(Locale.ROOT, "Caution: %d of %d rows (marked †) drift: the"
                    + " second half of their measured iterations is more than %.0f%% away from the first (warm-up too"
                    + " short, or the machine's load changed):", drifting.size(), rows.size(), (DRIFT - 1) * 100));
            for (Row r : drifting) w.append(String.format(Locale.ROOT, " %s (x%.2f),", describe(r), r.drift()));
            glance.add(w.substring(0, w.length() - 1) + ".");
        }
        for (String g : glance) md.append("- ").append(g).append('\n');
        if (glance.isEmpty()) md.append("- no rows of jrnn's model benchmarks in this run.\n");
        md.append('\n');

        md.append("## Setup\n\n");
        for (String l : machine) md.append("- ").append(l).append('\n');
        JmhResults.Run run = results.run();
        md.append("- JMH ").append(run.jmhVersion()).append(", JDK ").append(run.jdk()).append(" (").append(run.vm())
                .append("), forked JVM flags `").append(String.join(" ", run.jvmArgs())).append("`\n");
        Map<String, Set<String>> timings = new LinkedHashMap<>();
        for (Row r : rows.stream().sorted(ORDER).toList()) {
            timings.computeIfAbsent(r.benchmark(), k -> new LinkedHashSet<>()).add(r.timing());
        }
        for (Map.Entry<String, Set<String>> e : timings.entrySet()) {
            md.append("- ").append(e.getKey()).append(": ").append(String.join("; ", e.getValue())).append('\n');
        }
        md.append('\n');
        md.append("Inputs are random (uniform, fixed seed), T = 28 steps of F = 28 features, 10 classes; ")
                .append("H = units per recurrent layer, L = stacked layers, B = batch. ")
                .append("`± x` is JMH's error: the half-width of the 99.9% confidence interval over all measured ")
                .append("iterations (n/a: too few iterations). A ratio r = a/b carries ")
                .append("δr = r·sqrt((δa/a)² + (δb/b)²): relative errors added in quadrature.\n\n");

        md.append("## GRU vs LSTM\n\n");
        if (cellPairs.isEmpty()) {
            md.append("No rows of jrnn's model benchmarks in this run.\n\n");
        } else {
            md.append("Samples per second; GRU/LSTM > 1 means GRU is faster.\n\n");
            md.append("| Benchmark | Backend | H | L | B | LSTM samples/s | GRU samples/s | GRU/LSTM |\n");
            md.append("|---|---|--:|--:|--:|--:|--:|--:|\n");
            for (Pair p : cellPairs) {
                Row a = p.any();
                md.append("| ").append(label(a)).append(" | ").append(a.param("backend")).append(" | ")
                        .append(a.param("units")).append(" | ").append(a.param("layers")).append(" | ")
                        .append(a.param("batch")).append(" | ").append(score(p.base())).append(" | ")
                        .append(score(p.other())).append(" | ").append(ratio(p.ratio())).append(" |\n");
            }
            md.append('\n');
        }
        appendCharts(md, charts, "gru-vs-lstm");

        md.append("## GPU vs CPU\n\n");
        if (!gpuRows) {
            md.append("No GPU rows in this run").append(skipped == null ? "" : " (" + skipped + ")")
                    .append(": the GPU/CPU table needs results with `backend=cuda`.\n\n");
        } else {
            md.append("Samples per second; GPU/CPU > 1 means the GPU is faster.\n\n");
            md.append("| Benchmark | Cell | H | L | B | CPU samples/s | GPU samples/s | GPU/CPU |\n");
            md.append("|---|---|--:|--:|--:|--:|--:|--:|\n");
            List<Pair> sorted = devicePairs.stream()
                    .sorted(Comparator.comparing((Pair p) -> p.any(), ORDER)).toList();
            for (Pair p : sorted) {
                Row a = p.any();
                md.append("| ").append(label(a)).append(" | ").append(a.param("cell").toUpperCase(Locale.ROOT))
                        .append(" | ").append(a.param("units")).append(" | ").append(a.param("layers")).append(" | ")
                        .append(a.param("batch")).append(" | ").append(score(p.base())).append(" | ")
                        .append(score(p.other())).append(" | ").append(ratio(p.ratio())).append(" |\n");
            }
            md.append('\n');
            appendCharts(md, charts, "gpu-vs-cpu");
        }

        if (!kernels.isEmpty()) {
            md.append("## Kernels\n\n");
            boolean kernelGpu = kernels.stream().anyMatch(r -> GPU.equals(r.param("backend")));
            md.append("GB/s of compulsory memory traffic (each input read once, each output written once; ")
                    .append("the dropout mask is generated, not read).\n\n");
            if (kernelGpu) {
                md.append("| Kernel | Shape | Elements | CPU GB/s | GPU GB/s | GPU/CPU |\n|---|---|--:|--:|--:|--:|\n");
            } else {
                md.append("| Kernel | Shape | Elements | CPU GB/s |\n|---|---|--:|--:|\n");
            }
            for (Pair p : pairs(kernels, "backend", CPU, GPU)) {
                Row a = p.any();
                md.append("| ").append(label(a)).append(" | ").append(a.param("shape")).append(" | ")
                        .append(String.format(Locale.ROOT, "%,d", elements(a.param("shape")))).append(" | ")
                        .append(score(p.base()));
                if (kernelGpu) md.append(" | ").append(score(p.other())).append(" | ").append(ratio(p.ratio()));
                md.append(" |\n");
            }
            md.append('\n');
            appendCharts(md, charts, "kernels");
        }

        if (!others.isEmpty()) {
            md.append("## Other rows\n\n| Benchmark | Parameters | Score | Unit |\n|---|---|--:|---|\n");
            for (Row r : others) {
                md.append("| ").append(r.name()).append(" | ").append(r.params().isEmpty() ? "" : r.params().toString())
                        .append(" | ").append(score(r)).append(" | ").append(r.unit()).append(" |\n");
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static List<String> backends(List<Row> rows) {
        return rows.stream().map(r -> r.param("backend")).distinct()
                .sorted(Comparator.comparingInt(JmhReport::backendRank).thenComparing(Comparator.naturalOrder())).toList();
    }

    /** One "at a glance" line over the complete pairs that {@code which} selects. */
    private static void glance(List<String> out, String what, List<Pair> pairs, Predicate<Pair> which) {
        List<Pair> ps = pairs.stream().filter(p -> p.ratio() != null && which.test(p)).toList();
        if (ps.isEmpty()) return;
        if (ps.size() == 1) {
            out.add(what + " (" + shape(ps.get(0).any()) + "): **" + ratio(ps.get(0).ratio()) + "**");
            return;
        }
        double logSum = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (Pair p : ps) {
            double v = p.ratio().value();
            logSum += Math.log(v);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        out.add(String.format(Locale.ROOT, "%s: **%s** (geometric mean over %d shapes; from %s to %s)", what,
                fmt(Math.exp(logSum / ps.size()), 3), ps.size(), fmt(min, 3), fmt(max, 3)));
    }

    private static void appendCharts(StringBuilder md, List<String> charts, String prefix) {
        boolean any = false;
        for (String c : charts) {
            if (!c.startsWith(prefix)) continue;
            md.append("![").append(c.replace(".png", "")).append("](").append(c).append(")\n");
            any = true;
        }
        if (any) md.append('\n');
    }

    // ---- numbers -------------------------------------------------------------------------------

    /** {@code 13,084 ± 210}, with † when the row drifted; an em dash for a missing row. */
    static String score(Row r) {
        return r == null ? "—" : estimate(r.score(), 3) + (drifted(r) ? " †" : "");
    }

    /** {@code train step LSTM H32 L1 B256 cpu} or {@code dropout fwd 256x10 cpu}. */
    static String describe(Row r) {
        if (isModel(r)) return label(r) + " " + r.param("cell").toUpperCase(Locale.ROOT) + " " + shape(r) + " " + r.param("backend");
        if (isKernel(r)) return label(r) + " " + r.param("shape") + " " + r.param("backend");
        return r.name() + (r.params().isEmpty() ? "" : " " + r.params());
    }

    /** {@code 1.17 ± 0.05} (3 significant digits); an em dash when either side is missing. */
    static String ratio(Estimate e) {
        return e == null ? "—" : estimate(e, 3);
    }

    /** Value and error with the same decimals, from the value's size ({@code digits} significant below 100). */
    static String estimate(Estimate e, int digits) {
        int d = decimals(e.value(), digits);
        String v = fmt(e.value(), d, true);
        return Double.isNaN(e.error()) ? v + " ± n/a" : v + " ± " + fmt(e.error(), d, true);
    }

    private static String fmt(double x, int digits) {
        return fmt(x, decimals(x, digits), true);
    }

    /** Decimals that show {@code digits} significant digits of {@code x}, none for |x| >= 100. */
    static int decimals(double x, int digits) {
        if (!Double.isFinite(x) || x == 0) return digits - 1;
        double a = Math.abs(x);
        if (a >= 100) return 0;
        return Math.max(0, digits - 1 - (int) Math.floor(Math.log10(a)));
    }

    private static String fmt(double x, int decimals, boolean grouping) {
        if (Double.isNaN(x)) return "NaN";
        return String.format(Locale.ROOT, grouping ? "%,." + decimals + "f" : "%." + decimals + "f", x);
    }
}
