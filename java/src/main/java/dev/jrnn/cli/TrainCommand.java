package dev.jrnn.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.jrnn.backend.Backend;
import dev.jrnn.data.Dataset;
import dev.jrnn.data.Datasets;
import dev.jrnn.data.Preprocess;
import dev.jrnn.data.Split;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.EpochMetrics;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.001", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--dataset", defaultValue = "mnist", description = "mnist or fashion-mnist (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--data-dir", description = "Directory holding the four IDX files (downloaded into it when missing).")
    Path dataDir;

    @Option(names = "--binarize", arity = "0..1", fallbackValue = "0.1", paramLabel = "THRESHOLD",
            description = "Binarise pixels as the notebook's binarize(): 1 where pixel/255 > THRESHOLD (default 0.1), else 0.")
    Float binarize;

    @Option(names = "--limit", description = "Train on the first N training samples only (quick runs).")
    Integer limit;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights, shuffling and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--metrics-out", paramLabel = "FILE.json", description = "Write per-epoch and test metrics as JSON.")
    Path metricsOut;

    @Option(names = "--no-progress", description = "No live progress bar (the per-epoch lines remain).")
    boolean noProgress;

    @Override
    public Integer call() throws IOException {
        if (epochs <= 0 || batchSize <= 0) {
            throw new IllegalArgumentException("--epochs and --batch-size must be positive, found " + epochs + " and " + batchSize);
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Preprocess pre = binarize == null ? Preprocess.SCALE : Preprocess.binarize(binarize);
        Dataset train, test;
        try {
            train = Datasets.load(dataset, dataDir, Split.TRAIN, pre);
            test = Datasets.load(dataset, dataDir, Split.TEST, pre);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + "\nTo train anyway: --dataset fashion-mnist (Debian: apt-get install"
                    + " dataset-fashion-mnist), or --data-dir DIR holding the IDX files.", e);
        }
        if (limit != null) train = train.head(limit);
        Sequential m = model.build(train.steps(), train.features(), train.classes());
        out.printf(Locale.ROOT, "%s: %,d train / %,d test samples; model %s, %,d params%n",
                dataset, train.size(), test.size(), m.shortName(), m.paramCount());
        out.flush();
        TrainConfig cfg = TrainConfig.defaults().withBatchSize(batchSize).withLearningRate(lr).withSeed(seed);
        try (Backend be = backendOptions.create(err); Trainer t = new Trainer(m, be, cfg)) {
            List<EpochMetrics> history = t.fit(train, epochs, new KerasProgress(out, System.err, !noProgress));
            Evaluation ev = t.evaluate(test);
            out.printf(Locale.ROOT, "Test loss: %.4f - test accuracy: %.4f (%,d samples, %.1fs)%n",
                    ev.loss(), ev.accuracy(), ev.samples(), ev.seconds());
            out.flush();
            if (metricsOut != null) writeMetrics(m, be, train, history, ev);
        }
        return 0;
    }

    private void writeMetrics(Sequential m, Backend be, Dataset train, List<EpochMetrics> history, Evaluation ev) throws IOException {
        JsonObject root = new JsonObject();
        root.addProperty("model", m.shortName());
        root.addProperty("params", m.paramCount());
        root.addProperty("backend", be.name());
        root.addProperty("dataset", dataset);
        root.addProperty("train_samples", train.size());
        root.addProperty("batch_size", batchSize);
        root.addProperty("learning_rate", lr);
        root.addProperty("seed", seed);
        JsonArray eps = new JsonArray();
        for (EpochMetrics e : history) {
            JsonObject o = new JsonObject();
            o.addProperty("epoch", e.epoch());
            o.addProperty("loss", e.loss());
            o.addProperty("accuracy", e.accuracy());
            o.addProperty("seconds", e.seconds());
            o.addProperty("samples_per_second", e.samplesPerSecond());
            eps.add(o);
        }
        root.add("epochs", eps);
        JsonObject test = new JsonObject();
        test.addProperty("loss", ev.loss());
        test.addProperty("accuracy", ev.accuracy());
        root.add("test", test);
        Path target = metricsOut.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(root) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
