package dev.jrnn.cli;

import dev.jrnn.backend.Backend;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code jrnn bench}: times whole training steps (forward, backward, Adam) on random data of
 * MNIST's shape. The quick front-end; JMH benchmarks live in the {@code benchmarks} module.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time K training steps (after warm-up) on random 28x28 data and print samples/s.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--steps", defaultValue = "20", description = "Timed training steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "300",
            description = "Untimed warm-up steps; the JIT needs a few hundred calls of each Vector API kernel (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeats", defaultValue = "3",
            description = "Timed rounds of --steps; the best is reported with the median (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Override
    public Integer call() {
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
            for (int i = 0; i < warmup; i++) t.trainOnBatch(x, y, batchSize);
            be.synchronize();
            double[] rates = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) t.trainOnBatch(x, y, batchSize);
                be.synchronize();
                rates[r] = (double) steps * batchSize / ((System.nanoTime() - t0) / 1e9);
            }
            java.util.Arrays.sort(rates);
            out.printf(Locale.ROOT, "%s params=%d backend=%s batch=%d steps=%d repeats=%d samples/s: median %.0f best %.0f%n",
                    m.shortName(), m.paramCount(), be.name(), batchSize, steps, repeats,
                    rates[repeats / 2], rates[repeats - 1]);
            out.flush();
        }
        return 0;
    }
}
