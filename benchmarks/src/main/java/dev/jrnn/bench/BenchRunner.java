package dev.jrnn.bench;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs jrnn's JMH benchmarks and writes the report: what {@code scripts/bench.sh} and
 * {@code jrnn bench --jmh} start.
 *
 * <pre>
 *   java --add-modules=jdk.incubator.vector -cp benchmarks/target/jrnn-benchmarks.jar \
 *        dev.jrnn.bench.BenchRunner [--quick] [--out DIR] [--backends cpu,cuda] [--include REGEX]
 * </pre>
 *
 * <ul>
 *   <li>without {@code --quick}: the full grid, with the annotations' forks and iterations;</li>
 *   <li>{@code --quick}: {@link #QUICK_NOTE}.</li>
 * </ul>
 *
 * JMH cannot skip a parameter value from inside a benchmark, so the {@code backend} values are
 * chosen here: each requested backend is opened once first, and one that cannot load (cuda on a
 * machine without a GPU, or this build without a CUDA backend) is left out of the run with a
 * line {@code SKIPPED cuda: <reason>}; no row, no error, no number is recorded for it.
 *
 * <p>{@code DIR} receives {@code jmh-result.json} (JMH's JSON), {@code machine.txt},
 * {@code report.md} and the PNG charts ({@link JmhReport}).
 */
public final class BenchRunner {
    private BenchRunner() {}

    /** What {@code --quick} runs, for help texts and the report. */
    public static final String QUICK_NOTE = "quick (LSTM and GRU with 32 units, 1 layer, batch 256: train step, "
            + "inference, RNN forward+backward; dropout forward and softmax + cross-entropy at 256x10 and 1024x1024; "
            + "1 fork; the classes' warm-up (8 x 1 s, kernels 3 x 1 s), then 10 measured iterations of 0.5 s)";

    /** The JSON file JMH writes in the output folder. */
    public static final String RESULT_FILE = "jmh-result.json";

    static final String USAGE = "usage: BenchRunner [--quick] [--out DIR] [--backends cpu,cuda] [--activations tanh,relu]"
            + " [--include REGEX]\n"
            + "       BenchRunner --report FILE.json [--out DIR]   (only (re)write report.md and the charts)";

    /**
     * Parsed command line; {@link #parse} returns null after printing the help. {@code report}: the
     * JMH JSON to report on without running anything, or null.
     */
    record Args(boolean quick, Path out, List<String> backends, List<String> includes, Path report, List<String> activations) {
        Args(boolean quick, Path out, List<String> backends, List<String> includes) {
            this(quick, out, backends, includes, null, List.of("tanh"));
        }
    }

    public static void main(String[] argv) {
        int code;
        try {
            Args args = parse(argv);
            code = args == null ? 0 : args.report() != null ? report(args) : run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("BenchRunner: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        } catch (IOException | RunnerException e) {
            System.err.println("BenchRunner: " + e.getMessage());
            code = 1;
        }
        System.exit(code);
    }

    static Args parse(String[] argv) {
        boolean quick = false;
        Path out = null;
        List<String> backends = List.of("cpu", "cuda"), includes = new ArrayList<>();
        Path report = null;
        List<String> activations = List.of("tanh");
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(value(argv, ++i, a));
                case "--backends" -> backends = List.of(value(argv, ++i, a).toLowerCase(Locale.ROOT).split(","));
                case "--include" -> includes.add(value(argv, ++i, a));
                case "--report" -> report = Path.of(value(argv, ++i, a));
                case "--activations" -> activations = List.of(value(argv, ++i, a).toLowerCase(Locale.ROOT).split(","));
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    System.out.println("  --quick  the " + QUICK_NOTE.replace("quick (", "quick profile (") + "; without it, the full grid");
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
        }
        for (String b : backends) {
            if (!b.equals("cpu") && !b.equals("cuda")) {
                throw new IllegalArgumentException("--backends takes cpu and/or cuda, found '" + b + "'");
            }
        }
        if (report != null) {
            if (quick || !includes.isEmpty()) throw new IllegalArgumentException("--report runs nothing: it takes only --out");
            return new Args(false, out != null ? out : report.toAbsolutePath().getParent(), backends, includes, report, activations);
        }
        if (out == null) {
            out = Path.of("runs", "bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        for (String act : activations) {
            if (!act.equals("tanh") && !act.equals("relu")) {
                throw new IllegalArgumentException("--activations takes tanh and/or relu, found '" + act + "'");
            }
        }
        return new Args(quick, out, backends, includes, null, activations);
    }

    private static String value(String[] argv, int i, String flag) {
        if (i >= argv.length) throw new IllegalArgumentException(flag + " needs a value");
        return argv[i];
    }

    /** {@code --report}: report.md and the charts from an existing JMH JSON file, nothing run. */
    static int report(Args args) throws IOException {
        if (!Files.isRegularFile(args.report())) {
            throw new IOException("--report " + args.report() + ": no such file (expected the " + RESULT_FILE
                    + " of a jrnn bench --jmh run)");
        }
        for (Path f : JmhReport.write(args.report(), args.out())) System.out.println("wrote " + f);
        return 0;
    }

    static int run(Args args) throws IOException, RunnerException {
        Files.createDirectories(args.out());
        List<String> machine = new ArrayList<>();
        machine.add("Profile: " + (args.quick() ? QUICK_NOTE : "full grid (forks and iterations of each class's annotations)")
                + (args.includes().isEmpty() ? "" : "; only " + String.join(", ", args.includes())));
        machine.addAll(machineLines());
        List<String> usable = new ArrayList<>();
        for (String b : args.backends()) {
            try {
                machine.add("Backend " + b + ": " + probe(b));
                usable.add(b);
            } catch (RuntimeException | LinkageError e) {
                String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                System.out.println("SKIPPED " + b + ": " + reason);
                machine.add("Skipped backend " + b + ": " + reason);
            }
        }
        if (usable.isEmpty()) throw new IOException("no backend of " + args.backends() + " can run here");
        double loadBefore = load();
        Files.write(args.out().resolve("machine.txt"), machine);

        ChainedOptionsBuilder o = options(args, usable);
        Path json = args.out().resolve(RESULT_FILE);
        o.result(json.toString()).resultFormat(ResultFormatType.JSON);
        Options opts = o.build();
        List<Planned> plan = plan(opts);
        if (plan.isEmpty()) throw new IOException("no benchmark matches " + opts.getIncludes());
        long estimate = plan.stream().mapToLong(Planned::seconds).sum();
        System.out.printf(Locale.ROOT, "BenchRunner: %d rows (%s), at least %d min %d s; results in %s%n",
                plan.size(), args.quick() ? "quick profile" : "full grid", estimate / 60, estimate % 60, args.out());
        long t0 = System.nanoTime();
        Collection<RunResult> results = new Runner(opts).run();
        long secs = (System.nanoTime() - t0) / 1_000_000_000L;
        System.out.printf(Locale.ROOT, "BenchRunner: %d result rows in %d min %d s%n", results.size(), secs / 60, secs % 60);
        if (results.isEmpty()) throw new IOException("JMH produced no result (see its output above); no report written");
        // NB: other work on the machine shows up as noise and bias; the load average makes it visible.
        machine.add(String.format(Locale.ROOT, "Run: %d min %d s; system load average (1 min) %.2f before, %.2f after,"
                + " on %d logical processors", secs / 60, secs % 60, loadBefore, load(), Runtime.getRuntime().availableProcessors()));
        Files.write(args.out().resolve("machine.txt"), machine);
        List<Path> files = JmhReport.write(json, args.out());
        System.out.println("BenchRunner: wrote " + json);
        for (Path f : files) System.out.println("BenchRunner: wrote " + f);
        return 0;
    }

    /** The JMH options of a run: which benchmarks and parameter values, and for --quick the timing. */
    static ChainedOptionsBuilder options(Args args, List<String> backends) {
        // NB: empty jvmArgs: the forks get exactly the flags of each class's @Fork, not this JVM's.
        ChainedOptionsBuilder o = new OptionsBuilder().jvmArgs().param("backend", backends.toArray(String[]::new))
                .param("activation", args.activations().toArray(String[]::new));
        List<String> includes = args.includes();
        if (args.quick()) {
            if (includes.isEmpty()) {
                includes = List.of("dev\\.jrnn\\.bench\\.TrainingBenchmark\\.(trainStep|inference)$",
                        "dev\\.jrnn\\.bench\\.RnnLayerBenchmark\\.forwardBackward$",
                        "dev\\.jrnn\\.bench\\.KernelBenchmark\\.(dropoutForward|softmaxCrossEntropy)$");
            }
            o.param("cell", "lstm", "gru").param("units", "32").param("layers", "1").param("batch", "256")
                    .param("shape", "256x10", "1024x1024")
                    .forks(1)
                    // NB: the warm-up stays as each class sets it (the JIT needs it, quick or not); 10 short
                    // iterations rather than 3 long ones, because JMH's 99.9% interval uses Student's t,
                    // which is 31.6 at 2 degrees of freedom and 4.8 at 9, for the same 5 s of measurement.
                    .measurementIterations(10).measurementTime(TimeValue.milliseconds(500));
        } else if (includes.isEmpty()) {
            includes = List.of("dev\\.jrnn\\.bench\\.");
        }
        for (String inc : includes) o.include(inc);
        return o;
    }

    /**
     * One row a run will produce: a benchmark with one value per parameter.
     *
     * @param seconds the least wall time it takes: forks x (warm-up + measurement) plus JVM start
     */
    record Planned(String benchmark, Map<String, String> params, long seconds) {}

    /**
     * The rows {@code opts} selects, as JMH will run them: the matching benchmarks of
     * {@code META-INF/BenchmarkList}, each with the cross product of its parameter values (those
     * of the options where given, else of the {@code @Param} annotation). Runs nothing.
     */
    static List<Planned> plan(Options opts) {
        SortedSet<BenchmarkListEntry> entries = BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), opts.getIncludes(),
                opts.getExcludes());
        List<Planned> rows = new ArrayList<>();
        for (BenchmarkListEntry e : entries) {
            int forks = opts.getForkCount().orElse(e.getForks().orElse(5));
            long warm = opts.getWarmupIterations().orElse(e.getWarmupIterations().orElse(5))
                    * opts.getWarmupTime().orElse(e.getWarmupTime().orElse(TimeValue.seconds(10))).convertTo(TimeUnit.MILLISECONDS);
            long meas = opts.getMeasurementIterations().orElse(e.getMeasurementIterations().orElse(5))
                    * opts.getMeasurementTime().orElse(e.getMeasurementTime().orElse(TimeValue.seconds(10))).convertTo(TimeUnit.MILLISECONDS);
            long seconds = Math.max(1, forks) * ((warm + meas) / 1000 + 1);
            List<Map<String, String>> combos = new ArrayList<>();
            combos.add(new TreeMap<>());
            Map<String, String[]> declared = e.getParams().orElse(Map.of());
            for (String name : new TreeSet<>(declared.keySet())) {
                Collection<String> values = opts.getParameter(name).orElse(List.of(declared.get(name)));
                List<Map<String, String>> next = new ArrayList<>();
                for (Map<String, String> c : combos) {
                    for (String v : values) {
                        Map<String, String> m = new TreeMap<>(c);
                        m.put(name, v);
                        next.add(m);
                    }
                }
                combos = next;
            }
            for (Map<String, String> c : combos) rows.add(new Planned(e.getUsername(), c, seconds));
        }
        return rows;
    }

    /**
     * Opens and closes the backend once, as its benchmarks' {@code @Setup} will.
     *
     * @return its description
     * @throws RuntimeException or {@link LinkageError} (a native library that does not load)
     *                          when it cannot run here
     */
    static String probe(String name) {
        try (Backend b = Backends.create(name, 0, line -> {})) {
            return b.description();
        }
    }

    /** CPU model, cores, memory, OS and JVM, one fact per line. */
    static List<String> machineLines() {
        List<String> lines = new ArrayList<>();
        String cpu = cpuModel();
        Runtime rt = Runtime.getRuntime();
        lines.add("CPU: " + (cpu == null ? System.getProperty("os.arch") : cpu) + ", "
                + rt.availableProcessors() + " logical processors available to the JVM");
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            lines.add(String.format(Locale.ROOT, "Memory: %.0f GiB", os.getTotalMemorySize() / (double) (1L << 30)));
        }
        lines.add("OS: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
                + System.getProperty("os.arch") + ")");
        lines.add("Java: " + System.getProperty("java.vm.name") + " " + Runtime.version());
        return lines;
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture stands in
        }
        return null;
    }

    static {
        // NB: the report draws charts off-screen.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }
}
