package dev.jrnn.experiment;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import dev.jrnn.backend.Backend;
import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Dataset;
import dev.jrnn.io.AtomicFiles;
import dev.jrnn.io.Checkpoint;
import dev.jrnn.io.Checkpointer;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The notebook's experiment: every model of a {@link SweepConfig}, once per seed, each run
 * checkpointed after every epoch, with reports rewritten after every finished run.
 *
 * <p>Layout of the output directory:
 * <pre>
 *   DIR/sweep.json                        the configuration (what --resume repeats)
 *   DIR/&lt;model&gt;/last.safetensors          a run's latest checkpoint (one seed)
 *   DIR/&lt;model&gt;/seed-&lt;s&gt;/last.safetensors  the same per seed with --repeats R &gt; 1
 *   DIR/results.md, metrics.json, metrics.csv, *.png   see {@link SweepReport}, {@link SweepPlots}
 * </pre>
 * Running a sweep on a directory that already holds runs continues them: finished runs are read
 * back from their checkpoints, unfinished ones resume from their last epoch, missing ones start.
 */
public final class Sweep {

    /** Progress callbacks; all optional. */
    public interface Listener {
        /** Before a run trains; {@code epochsDone > 0} when it resumes. */
        default void onRunStart(ModelName model, long seed, Sequential built, int epochsDone, int epochs, Path checkpoint) {}

        /** The per-epoch progress of the current run. */
        default TrainingRun.Listener progress() {
            return null;
        }

        /** After a run's last epoch and test evaluation. */
        default void onRunEnd(RunResult result) {}
    }

    private final SweepConfig config;
    private final Path dir;

    public Sweep(SweepConfig config, Path dir) {
        this.config = config;
        this.dir = dir;
    }

    /** The configuration. */
    public SweepConfig config() {
        return config;
    }

    /** The output directory. */
    public Path dir() {
        return dir;
    }

    /** {@code DIR/sweep.json}. */
    public static Path configFile(Path dir) {
        return dir.resolve("sweep.json");
    }

    /** Reads {@code DIR/sweep.json}. */
    public static SweepConfig readConfig(Path dir) throws IOException {
        Path f = configFile(dir);
        if (!Files.isRegularFile(f)) {
            throw new IOException(dir + " holds no sweep: expected " + f + " (written when a sweep starts)");
        }
        return parseConfig(f, Files.readAllBytes(f));
    }

    /** {@link #readConfig} of a file already read; {@code f} only names it in errors. */
    public static SweepConfig parseConfig(Path f, byte[] bytes) throws IOException {
        try {
            return SweepConfig.fromJson(JsonParser.parseString(new String(bytes, java.nio.charset.StandardCharsets.UTF_8))
                    .getAsJsonObject());
        } catch (com.google.gson.JsonParseException e) {
            throw new IOException(f + ": expected a jrnn sweep description (JSON), found invalid JSON ("
                    + JsonErrors.problem(e) + ")", e);
        } catch (RuntimeException e) {
            throw new IOException(f + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code DIR/sweep.json}. */
    public void writeConfig() throws IOException {
        AtomicFiles.writeString(configFile(dir), new GsonBuilder().setPrettyPrinting().serializeNulls().create()
                .toJson(config.toJson()) + "\n");
    }

    /** Where the run of {@code model} with {@code seed} keeps its checkpoint. */
    public Path checkpointFile(ModelName model, long seed) {
        Path m = dir.resolve(model.toString());
        return (config.repeated() ? m.resolve("seed-" + seed) : m).resolve("last.safetensors");
    }

    /**
     * Runs (or continues) every model and seed.
     *
     * @param onInterrupt when non-null, a shutdown hook per run keeps its checkpoint complete on
     *                    Ctrl-C / SIGTERM and then calls this with the saved checkpoint (or null) and its file
     * @param report      called with the finished runs after each run (to rewrite the reports)
     * @return the finished runs, in model-then-seed order
     */
    public List<RunResult> run(Backend backend, DataSelection.Splits data, Listener listener,
                               BiConsumer<Checkpoint, Path> onInterrupt, ReportWriter report) throws IOException {
        Listener l = listener == null ? new Listener() {} : listener;
        Dataset heldOut = data.validation() != null ? data.validation() : data.test();
        List<RunResult> results = new ArrayList<>();
        for (ModelName name : config.models()) {
            for (long seed : config.seeds()) {
                Sequential model = config.build(name, data.train().steps(), data.train().features(), data.train().classes());
                Path file = checkpointFile(name, seed);
                Checkpoint previous = Files.exists(file) ? Checkpoint.load(file) : null;
                if (previous != null) checkCompatible(previous, model, seed, file);
                try (Trainer t = new Trainer(model, backend, config.trainConfig(seed));
                     Checkpointer ck = new Checkpointer(file)) {
                    ck.cleanStale();
                    TrainingRun run = previous == null
                            ? new TrainingRun(t, config.epochs(), config.data(), backend.name(), List.of(), null, ck)
                            : TrainingRun.resume(previous, t, config.epochs(), backend.name(), ck);
                    if (!run.finished()) {
                        l.onRunStart(name, seed, model, run.epochsDone(), config.epochs(), file);
                        if (onInterrupt != null) ck.installShutdownHook(c -> onInterrupt.accept(c, file));
                    }
                    TrainingRun.Result r = run.run(data.train(), heldOut, data.test(), l.progress());
                    RunResult rr = new RunResult(name, seed, model.paramCount(), r.history(), r.test(), file);
                    results.add(rr);
                    l.onRunEnd(rr);
                }
                if (report != null) report.write(List.copyOf(results));
            }
        }
        return results;
    }

    /** Receives the finished runs so far. */
    @FunctionalInterface
    public interface ReportWriter {
        void write(List<RunResult> results) throws IOException;
    }

    private void checkCompatible(Checkpoint c, Sequential model, long seed, Path file) throws IOException {
        String want = dev.jrnn.io.ModelJson.toJson(model).toString(), found = dev.jrnn.io.ModelJson.toJson(c.model()).toString();
        if (!want.equals(found)) {
            throw new IOException(file + ": holds model " + found + ", but this sweep trains " + want);
        }
        if (c.training() == null) throw new IOException(file + ": holds weights only, no training state to resume");
        // NB: the log interval changes no number (older checkpoints hold 1): it is not compared
        TrainConfig wanted = config.trainConfig(seed);
        if (!c.training().config().withLogInterval(wanted.logInterval()).equals(wanted)) {
            throw new IOException(file + ": trained with " + c.training().config() + ", but this sweep uses " + config.trainConfig(seed));
        }
        if (!c.training().data().equals(config.data())) {
            throw new IOException(file + ": trained on " + c.training().data() + ", but this sweep uses " + config.data());
        }
    }
}
