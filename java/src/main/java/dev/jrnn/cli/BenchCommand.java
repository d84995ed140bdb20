package dev.jrnn.cli;

import dev.jrnn.backend.Backend;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code jrnn bench}: times whole training steps (forward, backward, Adam) on random data of
 * MNIST's shape. The quick front-end; JMH benchmarks live in the {@code benchmarks} module, and
 * {@code --jmh} runs them in a child JVM ({@code dev.jrnn.bench.BenchRunner} from
 * {@code benchmarks/target/jrnn-benchmarks.jar}, built with Maven when missing or stale), which
 * writes the JMH JSON, {@code report.md} and the charts ({@code dev.jrnn.bench.JmhReport});
 * {@code --report} runs the same runner with {@code --report}, which only writes the report.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time K training steps (or, with --inference, K predictions of a batch; after warm-up) on random 28x28 data and print samples/s.",
                "With --jmh: run the JMH benchmarks (GRU vs LSTM, GPU vs CPU, kernels; the full grid, or --quick)"
                        + " and write jmh-result.json, report.md and PNG charts into --out;"
                        + " with --report FILE.json: only (re)write the report from a JMH JSON file."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--jmh", description = "Run the JMH benchmarks (benchmarks/target/jrnn-benchmarks.jar) and write the report.")
    boolean jmh;

    @Option(names = "--quick", description = "With --jmh: the quick profile (a handful of rows, a few minutes) instead of the full grid.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR",
            description = "With --jmh or --report: folder for jmh-result.json, report.md and charts (default: runs/bench-<date>-<time>).")
    Path out;

    @Option(names = "--report", paramLabel = "FILE.json", description = "Write report.md and charts from this JMH JSON file; runs nothing.")
    Path report;

    @Option(names = "--jmh-jar", paramLabel = "FILE",
            description = "With --jmh or --report: the benchmarks jar (default: $JRNN_BENCHMARKS_JAR, else benchmarks/target/jrnn-benchmarks.jar of this checkout).")
    Path jmhJar;

    /** The options of the plain timer, which --jmh and --report do not take. */
    private static final List<String> TIMER_ONLY = List.of("--cell", "--units", "--layers", "--activation", "--dropout",
            "--bidirectional", "--merge", "--mask",
            "--batch-size", "--steps", "--warmup", "--warmup-seconds", "--repeats", "--threads", "--inference");

    /** The options that only make sense with --jmh or --report. */
    private static final List<String> JMH_ONLY = List.of("--quick", "--out", "--jmh-jar");

    @Mixin
    ModelOptions model;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--steps", defaultValue = "20", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "300",
            description = "Untimed warm-up steps; the JIT needs a few hundred calls of each Vector API kernel (default: ${DEFAULT-VALUE})."
                    + " On the cpu backend, unless 0, warm-up then goes on until the JIT has compiled nothing for 0.5 s (at most 30 s).")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "0",
            description = "Keep warming up until this many seconds have passed as well (default: ${DEFAULT-VALUE}): C2 compiles"
                    + " the kernels for a second or two after the first calls, and a step count that is ample for a"
                    + " 10 ms training step is 0.2 s of 1 ms predictions.")
    double warmupSeconds;

    @Option(names = "--inference", description = "Time inference (Trainer#predict: forward without dropout, softmax,"
            + " probabilities back on the host) instead of training steps.")
    boolean inference;

    @Option(names = "--repeats", defaultValue = "3",
            description = "Timed rounds of --steps; the best is reported with the median (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Override
    public Integer call() throws IOException, InterruptedException {
        var parsed = spec.commandLine().getParseResult();
        if (jmh || report != null) {
            List<String> given = TIMER_ONLY.stream().filter(parsed::hasMatchedOption).toList();
            if (!given.isEmpty()) {
                throw new IllegalArgumentException(String.join(", ", given) + (given.size() == 1 ? " does" : " do")
                        + " not apply to " + (jmh ? "--jmh" : "--report") + ": the JMH benchmarks have their own grid"
                        + " (see README, Performance)");
            }
            if (jmh && report != null) throw new IllegalArgumentException("--jmh and --report exclude each other");
            if (report != null && quick) {
                throw new IllegalArgumentException("--quick applies to --jmh, not to --report");
            }
            if (report != null && parsed.hasMatchedOption("--backend")) {
                throw new IllegalArgumentException("--backend applies to --jmh, not to --report");
            }
            return jmh ? runJmh() : writeReport();
        }
        List<String> stray = JMH_ONLY.stream().filter(parsed::hasMatchedOption).toList();
        if (!stray.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", stray) + " need" + (stray.size() == 1 ? "s" : "")
                    + " --jmh (or --report)");
        }
        return timeSteps();
    }

    /** The JIT counts as quiet once it has compiled nothing for this long. */
    private static final long JIT_QUIET_NANOS = 500_000_000L;
    /** A bound on waiting for a quiet JIT (a program that never stops compiling). */
    private static final long JIT_WAIT_NANOS = 30_000_000_000L;

    /**
     * Runs {@code step} until the JIT has compiled nothing for {@value #JIT_QUIET_NANOS} ns (at most
     * {@value #JIT_WAIT_NANOS} ns) and returns the steps run. NB: C2 still compiles a few late
     * methods 3-4 s into a run; a timed window that overlaps one of them on a 2-core machine loses
     * half a step's threads: LSTM-32 timed 42-61k samples/s after 3 s of warm-up against 90-100k
     * once the JIT was done (2026-12-05).
     */
    private static int untilTheJitIsQuiet(Runnable step) {
        CompilationMXBean jit;
        try {
            jit = ManagementFactory.getCompilationMXBean();
        } catch (LinkageError e) {   // java.management not in the module graph (dev.jrnn requires it static)
            return 0;
        }
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return 0;
        long start = System.nanoTime(), quietSince = start, last = jit.getTotalCompilationTime();
        int n = 0;
        while (System.nanoTime() - quietSince < JIT_QUIET_NANOS && System.nanoTime() - start < JIT_WAIT_NANOS) {
            step.run();
            n++;
            long now = jit.getTotalCompilationTime();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            }
        }
        return n;
    }

    private int timeSteps() {
        if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) {
            throw new IllegalArgumentException("--warmup-seconds must be in [0, 3600], found " + warmupSeconds);
        }
        if (batchSize <= 0 || steps <= 0 || warmup < 0 || repeats <= 0) {
            throw new IllegalArgumentException("--batch-size, --steps and --repeats must be positive and --warmup >= 0; found "
                    + batchSize + ", " + steps + ", " + repeats + ", " + warmup);
        }
        PrintWriter out = spec.commandLine().getOut();
        Sequential m = model.build(28, 28, 10);
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[batchSize * 28 * 28];
        int[] y = new int[batchSize];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        for (int i = 0; i < y.length; i++) y[i] = rnd.nextInt(10);
        try (Backend be = backendOptions.create(spec.commandLine().getErr());
             Trainer t = new Trainer(m, be, TrainConfig.defaults().withBatchSize(batchSize))) {
            Runnable step = inference ? () -> t.predict(x, batchSize) : () -> t.trainOnBatch(x, y, batchSize);
            long w0 = System.nanoTime(), warmEnd = w0 + (long) (warmupSeconds * 1e9);
            int warmed = 0;
            for (; warmed < warmup || System.nanoTime() - warmEnd < 0; warmed++) step.run();
            // NB: only the CPU backend's speed hangs on C2 (a GPU step's host code is light); --warmup 0 means none
            if (warmup > 0 && be.name().equals("cpu")) warmed += untilTheJitIsQuiet(step);
            double warmSeconds = (System.nanoTime() - w0) / 1e9;
            be.synchronize();
            double[] rates = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) step.run();
                be.synchronize();
                rates[r] = (double) steps * batchSize / ((System.nanoTime() - t0) / 1e9);
            }
            java.util.Arrays.sort(rates);
            out.printf(Locale.ROOT, "%s%s params=%d backend=%s batch=%d steps=%d repeats=%d samples/s: median %.0f best %.0f"
                            + " (after %d warm-up steps, %.1f s)%n",
                    m.shortName(), inference ? " inference" : "", m.paramCount(), be.name(), batchSize, steps, repeats,
                    rates[repeats / 2], rates[repeats - 1], warmed, warmSeconds);
            out.flush();
        }
        return 0;
    }

    private Path outDir() {
        return out != null ? out
                : Path.of("runs", "bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /** Runs dev.jrnn.bench.BenchRunner --report from the benchmarks jar (the report code lives there). */
    private int writeReport() throws IOException, InterruptedException {
        if (!Files.isRegularFile(report)) throw new IOException("--report " + report + ": no such file (expected the"
                + " jmh-result.json of a jrnn bench --jmh run)");
        PrintWriter o = spec.commandLine().getOut();
        Path dir = out != null ? out : report.toAbsolutePath().getParent();
        Path jar = benchmarksJar(o);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.awt.headless=true",
                "-cp", jar.toString(), "dev.jrnn.bench.BenchRunner", "--report", report.toString(), "--out", dir.toString());
        return child(cmd, o, "the JMH report");
    }

    /** Runs dev.jrnn.bench.BenchRunner from the benchmarks jar in a child JVM, streaming its output. */
    private int runJmh() throws IOException, InterruptedException {
        String backend = backendOptions.backend.toLowerCase(Locale.ROOT).trim();
        String backends = switch (backend) {
            case "auto" -> "cpu,cuda";
            case "cpu", "cuda" -> backend;
            default -> throw new IllegalArgumentException("--jmh takes --backend auto (cpu and cuda, cuda skipped where it"
                    + " cannot load), cpu or cuda; found '" + backendOptions.backend + "'");
        };
        PrintWriter o = spec.commandLine().getOut();
        Path jar = benchmarksJar(o);
        Path dir = outDir();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
                "-cp", jar.toString(), "dev.jrnn.bench.BenchRunner", "--out", dir.toString(), "--backends", backends));
        if (quick) cmd.add("--quick");
        o.println("jrnn bench --jmh: " + String.join(" ", cmd));
        o.flush();
        return child(cmd, o, "the JMH runner");
    }

    /** Runs {@code cmd}, streaming its output to {@code o}; a non-zero exit is an error naming {@code what}. */
    private static int child(List<String> cmd, PrintWriter o, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // NB: a Ctrl-C reaches the child too (same process group); a SIGTERM to us must not orphan it.
        Thread reaper = new Thread(p::destroy, "jrnn-bench-child");
        Runtime.getRuntime().addShutdownHook(reaper);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                o.println(line);
                o.flush();
            }
        }
        int code = p.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting; the hook destroys an already finished process
        }
        if (code != 0) throw new IOException(what + " failed with exit code " + code + " (its output is above)");
        return 0;
    }

    /**
     * The benchmarks jar: --jmh-jar, $JRNN_BENCHMARKS_JAR, or this checkout's
     * {@code benchmarks/target/jrnn-benchmarks.jar}, which is (re)built with Maven when it is
     * missing or older than the sources, as the {@code ./jrnn} launcher does for the CLI.
     */
    private Path benchmarksJar(PrintWriter o) throws IOException, InterruptedException {
        String env = System.getenv("JRNN_BENCHMARKS_JAR");
        Path given = jmhJar != null ? jmhJar : env != null && !env.isBlank() ? Path.of(env) : null;
        if (given != null) {
            if (!Files.isRegularFile(given)) {
                throw new IOException("benchmarks jar " + given + " not found (from " + (jmhJar != null ? "--jmh-jar" : "$JRNN_BENCHMARKS_JAR")
                        + "); build it with: mvn -DskipTests -pl benchmarks -am package");
            }
            return given;
        }
        Path root = checkoutRoot();
        if (root == null) {
            throw new IOException("cannot find the benchmarks jar: this jrnn does not run from a source checkout;"
                    + " pass --jmh-jar FILE or set JRNN_BENCHMARKS_JAR");
        }
        Path jar = root.resolve("benchmarks/target/jrnn-benchmarks.jar");
        if (Files.isRegularFile(jar) && !stale(root, jar)) return jar;
        o.println("jrnn bench --jmh: building " + root.relativize(jar) + " (mvn package, tests skipped) ...");
        o.flush();
        // NB: -Djrnn.cli.shade.skip keeps Maven from rewriting java/target/jrnn-all.jar, which this JVM is running from.
        List<String> mvn = List.of("mvn", "-B", "-ntp", "-q", "-DskipTests", "-Djrnn.cli.shade.skip=true",
                "-pl", "benchmarks", "-am", "package");
        Path log = Files.createTempFile("jrnn-bench-build", ".log");
        try {
            Process p;
            try {
                p = new ProcessBuilder(mvn).directory(root.toFile()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                throw new IOException("the benchmarks jar " + jar + " is missing or stale and mvn cannot be started ("
                        + e.getMessage() + "); build it with: mvn -DskipTests -pl benchmarks -am package", e);
            }
            if (p.waitFor() != 0 || !Files.isRegularFile(jar)) {
                o.print(Files.readString(log));
                throw new IOException("building the benchmarks jar failed (" + String.join(" ", mvn) + " in " + root + "; log above)");
            }
        } finally {
            Files.deleteIfExists(log);
        }
        return jar;
    }

    /** The source checkout this CLI was built in (java/target/... two levels up), or null. */
    static Path checkoutRoot() {
        try {
            var src = BenchCommand.class.getProtectionDomain().getCodeSource();
            if (src == null) return null;
            Path p = Path.of(src.getLocation().toURI()).toAbsolutePath();   // .../java/target/{jrnn-all.jar,classes}
            Path target = p.getParent();
            if (target == null || !target.getFileName().toString().equals("target")) return null;
            Path root = target.getParent() == null ? null : target.getParent().getParent();
            return root != null && Files.isRegularFile(root.resolve("benchmarks/pom.xml")) ? root : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** Whether any source or pom of the checkout is newer than {@code jar}. */
    private static boolean stale(Path root, Path jar) throws IOException {
        var built = Files.getLastModifiedTime(jar);
        for (String s : List.of("pom.xml", "java/pom.xml", "java/src/main", "benchmarks/pom.xml", "benchmarks/src/main")) {
            Path p = root.resolve(s);
            if (!Files.exists(p)) continue;
            try (Stream<Path> files = Files.walk(p)) {
                if (files.anyMatch(f -> {
                    try {
                        return Files.isRegularFile(f) && Files.getLastModifiedTime(f).compareTo(built) > 0;
                    } catch (IOException e) {
                        return true;
                    }
                })) {
                    return true;
                }
            }
        }
        return false;
    }
}
