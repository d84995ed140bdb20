package dev.jrnn.cli;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.data.DataSelection;
import dev.jrnn.experiment.ModelName;
import dev.jrnn.experiment.RunResult;
import dev.jrnn.experiment.Sweep;
import dev.jrnn.experiment.SweepConfig;
import dev.jrnn.experiment.SweepPlots;
import dev.jrnn.experiment.SweepReport;
import dev.jrnn.experiment.TrainingRun;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Sequential;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code jrnn sweep}: the seed notebook's whole experiment in one command: several models
 * (default its six), each checkpointed after every epoch, then results.md, metrics.json,
 * metrics.csv and PNG plots. {@code --resume DIR} continues an interrupted sweep.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train several models as the seed notebook did (each: recurrent stack, Dropout, Dense(64, relu),"
                + " Dropout, Dense(10, softmax); Adam; batch 256) and write results.md, metrics.json, metrics.csv,"
                + " accuracy.png, loss.png and seconds_per_epoch.png into --out, with a checkpoint per model",
                "(DIR/<model>/last.safetensors; with --repeats, DIR/<model>/seed-<s>/last.safetensors).",
                "Interrupted (Ctrl-C, kill, power loss)? 'jrnn sweep --resume DIR' continues from the last finished epoch."})
final class SweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--models", defaultValue = "lstm32,lstm64,gru32,gru64,lstm32x4,gru32x4", paramLabel = "LIST",
            description = "Comma-separated <cell><units>[x<layers>] (default: ${DEFAULT-VALUE}).")
    String models;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs per model (default: ${DEFAULT-VALUE});"
            + " with --resume, raises the total of every run.")
    int epochs;

    @Option(names = "--activation", defaultValue = "tanh", converter = ModelOptions.ActivationConverter.class,
            description = "Cell activation: tanh or relu (the notebook used relu) (default: ${DEFAULT-VALUE}).")
    Activation activation;

    @Option(names = "--dropout", defaultValue = "0.2", description = "Rate of both Dropout layers (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--bidirectional", description = "Wrap every model's recurrent layers in Bidirectional (both directions).")
    boolean bidirectional;

    @Option(names = "--merge", paramLabel = "concat|sum", converter = ModelOptions.MergeConverter.class,
            description = "With --bidirectional: concatenate the two directions' outputs (default) or add them.")
    Bidirectional.Merge merge;

    @Option(names = "--bucket", description = "Batches of samples of similar length (as train --bucket).")
    boolean bucket;

    @Mixin
    OptimizerOptions optimizer;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the first repeat (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--repeats", defaultValue = "1", paramLabel = "R",
            description = "Runs per model with seeds seed..seed+R-1; tables show mean ± std (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/sweep-<date>-<time>).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the sweep in DIR with its saved settings.")
    Path resume;

    @Option(names = "--no-plots", description = "Skip the PNG plots.")
    boolean noPlots;

    @Option(names = "--no-progress", description = "No live progress bar (the per-epoch lines remain).")
    boolean noProgress;

    private static final List<String> FIXED_BY_SWEEP = List.of("--models", "--activation", "--dropout", "--batch-size",
            "--lr", "--dataset", "--binarize", "--limit", "--validation-split", "--seed", "--repeats", "--out", "--bidirectional",
            "--merge", "--bucket");

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        SweepConfig config;
        Path dir;
        boolean explicitBackend = spec.commandLine().getParseResult().hasMatchedOption("--backend")
                || spec.commandLine().getParseResult().hasMatchedOption("--threads");
        if (resume != null) {
            List<String> given = FIXED_BY_SWEEP.stream().filter(x -> spec.commandLine().getParseResult().hasMatchedOption(x)).toList();
            if (!given.isEmpty()) {
                throw new IllegalArgumentException(String.join(", ", given) + " cannot be combined with --resume: "
                        + Sweep.configFile(resume) + " fixes the sweep's settings");
            }
            dir = resume;
            config = Sweep.readConfig(dir);
            if (spec.commandLine().getParseResult().hasMatchedOption("--epochs")) {
                if (epochs <= 0) throw new IllegalArgumentException("--epochs must be positive, found " + epochs);
                config = config.withEpochs(epochs);
            }
            if (explicitBackend) {
                config = config.withBackend(backendOptions.backend, backendOptions.threads);
            }
        } else {
            if (repeats <= 0) throw new IllegalArgumentException("--repeats must be positive, found " + repeats);
            DataSelection sel = dataOptions.selection();
            List<Long> seeds = LongStream.range(0, repeats).map(i -> seed + i).boxed().toList();
            if (merge != null && !bidirectional) throw new IllegalArgumentException("--merge " + merge.keyword() + " needs --bidirectional");
            config = new SweepConfig(ModelName.parseList(models), epochs, activation, dropout, optimizer.batchSize, optimizer.lr, sel,
                    seeds, backendOptions.backend, backendOptions.threads, bucket,
                    bidirectional ? (merge != null ? merge : Bidirectional.Merge.CONCAT) : null);
            dir = out != null ? out : Path.of("runs", "sweep-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            if (Files.exists(Sweep.configFile(dir))) {
                throw new IllegalArgumentException(dir + " already holds a sweep: continue it with --resume " + dir
                        + ", or choose another --out");
            }
        }
        Outputs.writableDirectory(dir, resume != null ? "--resume" : "--out");
        if (resume != null) DataOptions.checkData(dataOptions.data, config.data().dataset(), dataOptions.dataDir);
        DataSelection.Splits data = DataOptions.load(config.data(), dataOptions.dir(), 0);
        SweepConfig cfg = config;
        Path outDir = dir;
        Sweep sweep = new Sweep(config, dir);
        long t0 = System.nanoTime();
        try (Backend be = BackendOptions.create(config.backend(), config.threads(), backendOptions.verbose, err)) {
            for (ModelName name : config.models()) {
                MemoryCheck.check(config.build(name, data.train().steps(), data.train().features(), data.train().classes()), be, BackendOptions.effectiveThreads(config.threads()), config.batchSize());
            }
            sweep.writeConfig();   // records --epochs / --backend changes made on resume too
            String env = String.format(Locale.ROOT, "%s %s, %d CPUs, Java %s; backend: %s", System.getProperty("os.name"),
                    System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), Runtime.version(), be.description());
            o.printf(Locale.ROOT, "Sweep %s: %s on %s (%,d train / %,d %s / %,d test samples), %d epochs, seeds %s -> %s%n",
                    resume != null ? "resumed" : "started", config.models(), config.data().dataset(), data.train().size(),
                    data.validation() != null ? data.validation().size() : data.test().size(),
                    data.validation() != null ? "validation" : "test (per epoch)", data.test().size(), config.epochs(),
                    config.seeds(), dir);
            o.flush();
            SweepReport report = new SweepReport(config, dir, data, env);
            String heldOut = data.validation() != null ? "validation" : "test";
            KerasProgress progress = new KerasProgress(o, System.err, !noProgress);
            List<RunResult> results = sweep.run(be, data, new Sweep.Listener() {
                @Override
                public void onRunStart(ModelName model, long s, Sequential built, int done, int total, Path file) {
                    o.printf(Locale.ROOT, "%n== %s (seed %d): %,d params%s ==%n", model, s, built.paramCount(),
                            done > 0 ? String.format(Locale.ROOT, ", resuming after epoch %d of %d", done, total) : "");
                    o.flush();
                }

                @Override
                public TrainingRun.Listener progress() {
                    return progress;
                }

                @Override
                public void onRunEnd(RunResult r) {
                    o.printf(Locale.ROOT, "%s (seed %d): test loss %.4f - test accuracy %.4f - %s%n", r.model(), r.seed(),
                            r.test().loss(), r.test().accuracy(), r.checkpoint());
                    o.flush();
                }
            }, (c, file) -> ResumeMessages.reportInterrupted(c, file, "jrnn sweep --resume " + outDir), rs -> {
                report.write(rs);
                if (!noPlots && !rs.isEmpty()) SweepPlots.write(outDir, cfg.models(), rs, heldOut);
            });
            o.printf(Locale.ROOT, "%nDone in %s: %d runs -> %s%n%n", durationSince(t0), results.size(), dir);
            o.print(table(Files.readString(dir.resolve("results.md"))));
            o.flush();
        }
        return 0;
    }

    /** The Markdown table of results.md, for the terminal. */
    private static String table(String md) {
        List<String> lines = new ArrayList<>();
        for (String l : md.split("\n")) if (l.startsWith("|")) lines.add(l);
        return String.join("\n", lines) + "\n";
    }

    private static String durationSince(long t0) {
        long s = (System.nanoTime() - t0) / 1_000_000_000L;
        return s >= 60 ? String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60) : s + " s";
    }
}
