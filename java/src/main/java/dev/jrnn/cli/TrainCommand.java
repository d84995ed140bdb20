package dev.jrnn.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.jrnn.backend.Backend;
import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Dataset;
import dev.jrnn.data.Datasets;
import dev.jrnn.experiment.TrainingRun;
import dev.jrnn.io.AtomicFiles;
import dev.jrnn.io.Checkpoint;
import dev.jrnn.io.Checkpointer;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.EpochRecord;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jrnn train}: trains a notebook model on MNIST or Fashion-MNIST and evaluates it on the test set. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a recurrent classifier reading each 28x28 image as 28 steps of 28 features, or on your own"
                + " sequences (--data DIR).")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}); with --resume, the total to reach.")
    int epochs;

    @Mixin
    OptimizerOptions optimizer;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--classes", paramLabel = "N", description = "Classes of your own arrays (--data): labels in [0, N)"
            + " (default: the largest label plus one).")
    Integer classes;

    @Option(names = "--bucket", description = "Form training batches of samples of similar length: each epoch's shuffled"
            + " order is cut into pools of 100 batches, each pool sorted by length and cut into batches, and the batches'"
            + " order shuffled (docs/data.md has what it saves).")
    boolean bucket;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights, shuffling and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Save a checkpoint (safetensors) here after every epoch and on Ctrl-C.")
    Path checkpoint;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run saved in FILE (its model, data and settings) up to --epochs; saves back to FILE"
                    + " unless --checkpoint says otherwise.")
    Path resume;

    @Option(names = "--metrics-out", paramLabel = "FILE.json", description = "Write per-epoch and test metrics as JSON.")
    Path metricsOut;

    @Option(names = "--overwrite", description = "Replace an existing --checkpoint or --metrics-out file that is not"
            + " this run's own (by default such files are never overwritten).")
    boolean overwrite;

    @Option(names = "--no-progress", description = "No live progress bar (the per-epoch lines remain; without a terminal"
            + " on stderr there is no bar either).")
    boolean noProgress;

    /** Options a checkpoint fixes; naming one with --resume is an error rather than silently ignored. */
    private static final List<String> FIXED_BY_CHECKPOINT = List.of("--cell", "--units", "--layers", "--activation",
            "--dropout", "--batch-size", "--lr", "--dataset", "--binarize", "--limit", "--validation-split", "--seed", "--classes",
            "--bidirectional", "--merge", "--mask", "--bucket");

    @Override
    public Integer call() throws IOException {
        if (epochs <= 0 || optimizer.batchSize <= 0) {
            throw new IllegalArgumentException("--epochs and --batch-size must be positive, found " + epochs + " and " + optimizer.batchSize);
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Checkpoint resumed = null;
        DataSelection selection;
        if (resume != null) {
            List<String> given = FIXED_BY_CHECKPOINT.stream().filter(o -> spec.commandLine().getParseResult().hasMatchedOption(o)).toList();
            if (!given.isEmpty()) {
                throw new IllegalArgumentException(String.join(", ", given) + " cannot be combined with --resume: the checkpoint"
                        + " fixes the model, the data and the optimiser settings");
            }
            resumed = Checkpoint.load(resume);
            if (resumed.training() == null) {
                throw new IllegalArgumentException(resume + " holds weights only (no training state) and cannot be resumed");
            }
            selection = resumed.training().data();
            if (dataOptions.data != null && !Datasets.NPY.equals(selection.dataset())) {
                throw new IllegalArgumentException(resume + " was trained on " + selection.dataset() + ", not on .npy arrays:"
                        + " give its folder with --data-dir, not --data");
            }
            if (!spec.commandLine().getParseResult().hasMatchedOption("--epochs")) epochs = resumed.training().epochs();
        } else {
            model.check();
            selection = dataOptions.selection();
            if (classes != null) {
                if (!Datasets.NPY.equals(selection.dataset())) {
                    throw new IllegalArgumentException("--classes applies to your own arrays (--data DIR); " + selection.dataset()
                            + " has its own classes");
                }
                if (classes < 2) throw new IllegalArgumentException("--classes must be at least 2, found " + classes);
            }
        }
        Path saveTo = checkpoint != null ? checkpoint : resume;
        checkOutputs(saveTo, resumed);
        // the CPU kernels compile while the data loads (the datasets are 28 steps of 28 features);
        // a run of a few thousand samples would wait longer for the warm-up than it gains
        boolean quick = selection.limit() > 0 && selection.limit() < 20_000;
        CpuWarmUp warmUp = resumed != null || quick || !model.plain() ? CpuWarmUp.none()
                : CpuWarmUp.start(backendOptions.backend, backendOptions.threads(), model.cell, model.units, model.layers, model.activation, 28, 28);
        // a resumed model fixes the classes (its output size); else --classes, or the labels decide
        int nClasses = resumed != null ? resumed.model().outputShape().dim(0) : classes != null ? classes : 0;
        DataSelection.Splits data = DataOptions.load(selection, dataOptions.dir(), nClasses);
        Sequential m = resumed != null ? resumed.model()
                : model.build(data.train().steps(), data.train().features(), data.train().classes());
        out.printf(Locale.ROOT, "%s: %,d train / %s%,d test samples%s; model %s, %,d params%n", selection.dataset(),
                data.train().size(), data.validation() == null ? "" : String.format(Locale.ROOT, "%,d validation / ", data.validation().size()),
                data.test().size(), lengthsNote(data.train()), m.shortName(), m.paramCount());
        out.flush();
        TrainConfig cfg = (resumed != null ? resumed.training().config()
                : TrainConfig.defaults().withBatchSize(optimizer.batchSize).withLearningRate(optimizer.lr).withSeed(seed)
                        .withBucketing(bucket))
                .withLogInterval(TrainConfig.PROGRESS_INTERVAL);
        // NB: the backend is chosen (auto probes CUDA) while the warm-up runs; a GPU run does not wait
        // for the CPU kernels, and stops the warm-up so that it leaves the cores to the run
        try (Backend be = backendOptions.create(err)) {
            if (be.name().equals("cpu")) warmUp.await();
            else warmUp.cancel();
            if (resumed == null) MemoryCheck.check(m, be, backendOptions.threads(), cfg.batchSize());
            train(m, be, cfg, resumed, selection, data, saveTo, out);
        }
        return 0;
    }

    private void train(Sequential m, Backend be, TrainConfig cfg, Checkpoint resumed, DataSelection selection,
                       DataSelection.Splits data, Path saveTo, PrintWriter out) throws IOException {
        try (Trainer t = new Trainer(m, be, cfg); Checkpointer ck = saveTo == null ? null : new Checkpointer(saveTo)) {
            TrainingRun run;
            if (resumed != null) {
                run = TrainingRun.resume(resumed, t, epochs, be.name(), ck);
                out.printf(Locale.ROOT, "Resuming %s from %s: %d of %d epochs done%s%n", m.shortName(), resume,
                        run.epochsDone(), epochs, ResumeMessages.backendNote(resumed.training().backend(), be.name()));
            } else {
                run = new TrainingRun(t, epochs, selection, be.name(), List.of(), null, ck);
            }
            if (ck != null) {
                ck.cleanStale();
                ck.installShutdownHook(c -> ResumeMessages.reportInterrupted(c, saveTo, "jrnn train --resume " + saveTo));
            }
            TrainingRun.Result r;
            try {
                r = run.run(data.train(), data.validation(), data.test(), new KerasProgress(out, System.err, !noProgress));
            } catch (ArithmeticException e) {   // diverged: the checkpoint still holds the last good epoch
                int saved = run.epochsDone() - 1;
                throw new ArithmeticException(e.getMessage() + (ck == null ? "" : saved > 0
                        ? "; " + saveTo + " keeps epoch " + saved + ", the last good one" : "; no epoch finished, nothing saved"));
            }
            Evaluation ev = r.test();
            out.printf(Locale.ROOT, "Test loss: %.4f - test accuracy: %.4f (%,d samples, %.1fs)%n",
                    ev.loss(), ev.accuracy(), ev.samples(), ev.seconds());
            if (ck != null) out.println("Checkpoint: " + saveTo);
            out.flush();
            if (metricsOut != null) writeMetrics(m, be, cfg, selection, data.train().size(), r.history(), ev);
        }
    }

    /** {@code , lengths 4..28 (mean 24.1)} for variable-length data; empty when every sample has all T steps. */
    static String lengthsNote(Dataset d) {
        if (!d.hasVariableLengths()) return "";
        int min = Integer.MAX_VALUE, max = 0;
        long sum = 0;
        for (int n : d.lengths()) {
            min = Math.min(min, n);
            max = Math.max(max, n);
            sum += n;
        }
        return String.format(Locale.ROOT, ", lengths %d..%d (mean %.1f of %d steps)", min, max, (double) sum / d.size(), d.steps());
    }

    /**
     * Before any data is read: refuses to replace files that are not this run's own (unless
     * --overwrite) and proves every output writable.
     */
    private void checkOutputs(Path saveTo, Checkpoint resumed) throws IOException {
        if (checkpoint != null && (resume == null || !sameFile(checkpoint, resume))) {
            Outputs.refuseOverwrite(checkpoint, "--checkpoint", overwrite, isCheckpoint(checkpoint)
                    ? "a jrnn run: continue it with --resume " + checkpoint : null);
        }
        if (metricsOut != null) {
            if (saveTo != null && sameFile(metricsOut, saveTo)) {
                throw new IllegalArgumentException("--metrics-out and the checkpoint name the same file " + metricsOut
                        + ": choose another --metrics-out");
            }
            boolean ours = resumed != null && MetricsFile.isOf(metricsOut, resumed);
            if (!ours) Outputs.refuseOverwrite(metricsOut, "--metrics-out", overwrite, null);
        }
        if (saveTo != null) Outputs.writable(saveTo, checkpoint != null ? "--checkpoint" : "--resume");
        if (metricsOut != null) Outputs.writable(metricsOut, "--metrics-out");
    }

    private static boolean sameFile(Path a, Path b) {
        Path x = a.toAbsolutePath().normalize(), y = b.toAbsolutePath().normalize();
        try {
            return x.equals(y) || (java.nio.file.Files.exists(x) && java.nio.file.Files.isSameFile(x, y));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isCheckpoint(Path f) {
        try {
            return java.nio.file.Files.isRegularFile(f) && Checkpoint.load(f).training() != null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void writeMetrics(Sequential m, Backend be, TrainConfig cfg, DataSelection sel, int trainSamples,
                              List<EpochRecord> history, Evaluation ev) throws IOException {
        JsonObject root = new JsonObject();
        root.addProperty("model", m.shortName());
        root.addProperty("params", m.paramCount());
        root.addProperty("backend", be.name());
        root.addProperty("dataset", sel.dataset());
        root.addProperty("train_samples", trainSamples);
        root.addProperty("validation_split", sel.validationSplit());
        root.addProperty("batch_size", cfg.batchSize());
        root.addProperty("learning_rate", cfg.learningRate());
        root.addProperty("seed", cfg.seed());
        root.addProperty("bucketing", cfg.bucketing());
        JsonArray eps = new JsonArray();
        for (EpochRecord e : history) eps.add(Checkpoint.epochJson(e));
        root.add("epochs", eps);
        root.add("test", Checkpoint.evaluationJson(ev));
        String text = new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(root) + "\n";
        try {
            AtomicFiles.writeString(metricsOut, text);
        } catch (IOException e) {   // checked writable before training; keep the numbers anyway
            Path rescue = AtomicFiles.writeRescue(metricsOut, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            throw new IOException("could not write --metrics-out " + metricsOut + " (" + Outputs.reason(e) + ")"
                    + (rescue != null ? "; the metrics are in " + rescue + " instead" : ""), e);
        }
    }
}
