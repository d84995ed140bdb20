package dev.jrnn.cli;

import dev.jrnn.backend.Backend;
import dev.jrnn.data.Dataset;
import dev.jrnn.data.Datasets;
import dev.jrnn.data.Preprocess;
import dev.jrnn.data.Split;
import dev.jrnn.io.Checkpoint;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jrnn evaluate}: loss and accuracy of a checkpoint on a dataset split. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print the loss and accuracy of a checkpoint on the test set (or --split train).")
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A jrnn checkpoint (safetensors).")
    Path checkpoint;

    @Option(names = "--dataset", description = "mnist, fashion-mnist, mnist-trimmed, fashion-mnist-trimmed or npy"
            + " (default: the one the checkpoint was trained on).")
    String dataset;

    @Option(names = "--data-dir", description = "Directory holding the four IDX files, or with --dataset npy the .npy arrays.")
    Path dataDir;

    @Option(names = "--data", paramLabel = "DIR", description = "Your own .npy arrays in DIR: short for --dataset npy --data-dir DIR.")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "test or train (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--binarize", arity = "0..1", fallbackValue = "0.1", paramLabel = "THRESHOLD",
            description = "Binarise pixels (default: as the checkpoint was trained).")
    Float binarize;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Checkpoint c = Checkpoint.load(checkpoint);
        DataOptions.checkData(data, dataset, dataDir);
        String name = data != null ? Datasets.NPY : dataset != null ? dataset : c.training() != null ? c.training().data().dataset() : null;
        if (name == null) throw new IllegalArgumentException(checkpoint + " holds weights only: name the data with --dataset");
        Preprocess pre = binarize != null ? Preprocess.binarize(binarize)
                : c.training() != null ? c.training().data().preprocess() : Preprocess.SCALE;
        Split s = switch (split) {
            case "test" -> Split.TEST;
            case "train" -> Split.TRAIN;
            default -> throw new IllegalArgumentException("--split must be test or train, found " + split);
        };
        // the model's output size is the class count of .npy labels
        Dataset d = Datasets.load(name, data != null ? data : dataDir, s, pre, c.model().outputShape().dim(0));
        TrainConfig cfg = c.training() != null ? c.training().config() : TrainConfig.defaults();
        try (Backend be = backendOptions.create(spec.commandLine().getErr()); Trainer t = new Trainer(c.model(), be, cfg)) {
            t.network().setParameters(c.params());
            Evaluation ev = t.evaluate(d);
            out.printf(Locale.ROOT, "%s on %s: loss: %.4f - accuracy: %.4f (%,d samples, %.1fs)%n",
                    c.model().shortName(), d.name(), ev.loss(), ev.accuracy(), ev.samples(), ev.seconds());
            out.flush();
            if (!Double.isFinite(ev.loss())) {
                spec.commandLine().getErr().println("jrnn: the loss is not finite: " + checkpoint + " holds NaN or infinite"
                        + " weights (the accuracy above counts NaN outputs as class 0)");
                spec.commandLine().getErr().flush();
            }
        }
        return 0;
    }
}
