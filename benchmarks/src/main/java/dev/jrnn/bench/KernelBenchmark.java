package dev.jrnn.bench;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Single ops on a (rows, cols) matrix, from the logits of one batch (256x10) to a million
 * elements (1024x1024), reported as GB/s of compulsory traffic in the {@code GB} metric:
 *
 * <pre>
 *   dropoutForward       out = in * keep / (1 - 0.2)         reads 4n, writes 4n bytes
 *   dropoutBackward      dIn = dOut * keep / (1 - 0.2)       the same op on the gradients
 *   softmax              probs = softmax(logits) by row       reads 4n, writes 4n
 *   softmaxCrossEntropy  loss, argmax and dLogits, fused      reads 4n + 4 rows, writes 4n
 * </pre>
 *
 * The dropout mask is generated (Philox), never read. Each invocation runs the op {@value #REPS}
 * times back to back, then waits for the backend, so a GPU's launch queue stays full as in
 * training and the wait is paid once per {@value #REPS} calls.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@OperationsPerInvocation(KernelBenchmark.REPS)
public class KernelBenchmark {
    /** Op calls per invocation; the primary metric (ops/s) counts calls. */
    static final int REPS = 8;
    private static final float RATE = 0.2f;

    @Param({"256x10", "1024x10", "256x1024", "1024x1024"})
    public String shape;

    @Param({"cpu", "cuda"})
    public String backend;

    private Backend be;
    private final List<Tensor> owned = new ArrayList<>();
    private int rows, cols, n;
    private Tensor a, b;              // (rows, cols) random input, output
    private Tensor labels, stats;     // (rows) class indices as floats, (2) accumulated loss and hits
    private long step;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = BenchSupport.shape(shape);
        rows = s[0];
        cols = s[1];
        n = rows * cols;
        be = BenchSupport.open(backend);
        SplittableRandom rnd = new SplittableRandom(BenchSupport.SEED);
        // NB: logits in [-4, 4): every exp is in range and no row is one-hot already.
        a = own(BenchSupport.tensor(be, BenchSupport.uniform(rnd, n, -4, 4)));
        b = own(be.allocate(n));
        float[] y = new float[rows];
        for (int i = 0; i < rows; i++) y[i] = rnd.nextInt(cols);
        labels = own(BenchSupport.tensor(be, y));
        stats = own(be.allocate(2));
        be.synchronize();
    }

    private Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    private void done(Traffic traffic, long bytesPerCall, Blackhole bh) {
        be.synchronize();
        bh.consume(b);
        traffic.GB += REPS * bytesPerCall / 1e9;
    }

    @Benchmark
    public void dropoutForward(Traffic traffic, Blackhole bh) {
        // NB: a new step each call draws a new mask, as every training step does.
        for (int r = 0; r < REPS; r++) be.dropout(BenchSupport.SEED, ++step, 1, RATE, n, a, b);
        done(traffic, 8L * n, bh);
    }

    @Benchmark
    public void dropoutBackward(Traffic traffic, Blackhole bh) {
        // NB: the backward pass is the same op over the gradients with the forward's (seed, step, salt).
        for (int r = 0; r < REPS; r++) be.dropout(BenchSupport.SEED, step, 1, RATE, n, a, b);
        done(traffic, 8L * n, bh);
    }

    @Benchmark
    public void softmax(Traffic traffic, Blackhole bh) {
        for (int r = 0; r < REPS; r++) be.softmax(rows, cols, a, b);
        done(traffic, 8L * n, bh);
    }

    @Benchmark
    public void softmaxCrossEntropy(Traffic traffic, Blackhole bh) {
        for (int r = 0; r < REPS; r++) be.softmaxCrossEntropy(rows, cols, a, labels, 1f / rows, b, stats);
        done(traffic, 8L * n + 4L * rows, bh);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : owned) t.close();
        owned.clear();
        if (be != null) be.close();
    }
}
