package dev.jrnn.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.jrnn.backend.Backend;
import dev.jrnn.data.DataSelection;
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
        description = "Train a recurrent classifier reading each 28x28 image as 28 steps of 28 features.")
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

    @Option(names = "--no-progress", description = "No live progress bar (the per-epoch lines remain).")
    boolean noProgress;

    /** Options a checkpoint fixes; naming one with --resume is an error rather than silently ignored. */
    private static final List<String> FIXED_BY_CHECKPOINT = List.of("--cell", "--units", "--layers", "--activation",
            "--dropout", "--batch-size", "--lr", "--dataset", "--binarize", "--limit", "--validation-split", "--seed");

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
            if (!spec.commandLine().getParseResult().hasMatchedOption("--epochs")) epochs = resumed.training().epochs();
        } else {
            model.check();
            selection = dataOptions.selection();
        }
        // the CPU kernels compile while the data loads (the datasets are 28 steps of 28 features);
        // a run of a few thousand samples would wait longer for the warm-up than it gains
        boolean quick = selection.limit() > 0 && selection.limit() < 20_000;
        CpuWarmUp warmUp = resumed != null || quick ? CpuWarmUp.none()
                : CpuWarmUp.start(backendOptions.backend, model.cell, model.units, model.layers, model.activation, 28, 28);
        DataSelection.Splits data = Commands.load(selection, dataOptions.dataDir);
        Sequential m = resumed != null ? resumed.model()
                : model.build(data.train().steps(), data.train().features(), data.train().classes());
        out.printf(Locale.ROOT, "%s: %,d train / %s%,d test samples; model %s, %,d params%n", selection.dataset(),
                data.train().size(), data.validation() == null ? "" : String.format(Locale.ROOT, "%,d validation / ", data.validation().size()),
                data.test().size(), m.shortName(), m.paramCount());
        out.flush();
        TrainConfig cfg = (resumed != null ? resumed.training().config()
                : TrainConfig.defaults().withBatchSize(optimizer.batchSize).withLearningRate(optimizer.lr).withSeed(seed))
                .withLogInterval(TrainingRun.PROGRESS_INTERVAL);
        Path saveTo = checkpoint != null ? checkpoint : resume;
        warmUp.await();
        try (Backend be = backendOptions.create(err); Trainer t = new Trainer(m, be, cfg);
             Checkpointer ck = saveTo == null ? null : new Checkpointer(saveTo)) {
            TrainingRun run;
            if (resumed != null) {
                run = TrainingRun.resume(resumed, t, epochs, be.name(), ck);
                out.printf(Locale.ROOT, "Resuming %s from %s: %d of %d epochs done%s%n", m.shortName(), resume,
                        run.epochsDone(), epochs, Commands.backendNote(resumed.training().backend(), be.name()));
            } else {
                run = new TrainingRun(t, epochs, selection, be.name(), List.of(), null, ck);
            }
            if (ck != null) {
                ck.cleanStale();
                ck.installShutdownHook(c -> Commands.reportInterrupted(c, saveTo, "jrnn train --resume " + saveTo));
            }
            TrainingRun.Result r = run.run(data.train(), data.validation(), data.test(), new KerasProgress(out, System.err, !noProgress));
            Evaluation ev = r.test();
            out.printf(Locale.ROOT, "Test loss: %.4f - test accuracy: %.4f (%,d samples, %.1fs)%n",
                    ev.loss(), ev.accuracy(), ev.samples(), ev.seconds());
            if (ck != null) out.println("Checkpoint: " + saveTo);
            out.flush();
            if (metricsOut != null) writeMetrics(m, be, cfg, selection, data.train().size(), r.history(), ev);
        }
        return 0;
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
        JsonArray eps = new JsonArray();
        for (EpochRecord e : history) eps.add(Checkpoint.epochJson(e));
        root.add("epochs", eps);
        root.add("test", Checkpoint.evaluationJson(ev));
        AtomicFiles.writeString(metricsOut, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(root) + "\n");
    }
}
