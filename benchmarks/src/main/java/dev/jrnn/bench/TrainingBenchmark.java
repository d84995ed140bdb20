package dev.jrnn.bench;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The seed notebook's model end to end, as {@code jrnn train} runs it: {@code layers} recurrent
 * layers of {@code units} (tanh), Dropout(0.2), Dense(64, relu), Dropout(0.2), Dense(10,
 * softmax), on random (B, 28, 28) inputs in [0, 1) with random labels.
 *
 * <ul>
 *   <li>{@link #trainStep}: one {@link Trainer#trainOnBatch} (host batch to the backend,
 *       forward with dropout, softmax cross-entropy, backward, Adam);</li>
 *   <li>{@link #inference}: one {@link Trainer#predict} (host batch in, class probabilities
 *       (B, 10) back on the host; no dropout).</li>
 * </ul>
 *
 * Both count {@code batch} samples per invocation in the {@code samples} metric (samples/s).
 */
public class TrainingBenchmark extends ModelGrid {
    private Backend be;
    private Trainer trainer;
    private Trainer.State initial;  // weights and Adam moments before the first step
    private float[] x;              // (B, 28, 28) uniform in [0, 1), like scaled pixels
    private int[] y;                // (B) uniform in [0, 10)

    @Setup(Level.Trial)
    public void setUp() {
        be = BenchSupport.open(backend);
        Sequential model = Sequential.notebook(RnnSpec.Cell.parse(cell), units, layers, Activation.parse(activation), 0.2,
                BenchSupport.STEPS, BenchSupport.FEATURES, BenchSupport.CLASSES);
        // NB: evaluation batch = training batch, so buffers are sized for this batch only.
        trainer = new Trainer(model, be, TrainConfig.defaults().withBatchSize(batch).withEvalBatchSize(batch));
        SplittableRandom rnd = new SplittableRandom(BenchSupport.SEED);
        x = BenchSupport.uniform(rnd, batch * BenchSupport.STEPS * BenchSupport.FEATURES, 0, 1);
        y = BenchSupport.labels(rnd, batch, BenchSupport.CLASSES);
        initial = trainer.state();
    }

    /**
     * NB: every iteration starts again from the initial weights, so a long run does not time a
     * network that has memorised its one batch (saturated softmax, tiny gradients).
     */
    @Setup(Level.Iteration)
    public void restart() {
        trainer.restore(initial);
        be.synchronize();
    }

    @Benchmark
    public void trainStep(Samples counter, Blackhole bh) {
        trainer.trainOnBatch(x, y, batch);
        be.synchronize();
        bh.consume(trainer.step());
        counter.samples += batch;
    }

    @Benchmark
    public void inference(Samples counter, Blackhole bh) {
        float[] probs = trainer.predict(x, batch);  // (B, 10), copied to the host
        be.synchronize();
        bh.consume(probs);
        counter.samples += batch;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (trainer != null) trainer.close();
        if (be != null) be.close();
    }
}
