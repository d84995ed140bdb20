package dev.jrnn.bench;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The recurrent stack alone, through {@link Backend#rnnForward} and {@link Backend#rnnBackward}:
 * {@code layers} layers of {@code units} (tanh), every one returning its whole sequence to the
 * next, over random (B, 28, 28) inputs. Layer 0 reads F = 28 features, the others H.
 *
 * <ul>
 *   <li>{@link #forward}: every layer's forward pass (with the reserve a training pass keeps);</li>
 *   <li>{@link #forwardBackward}: forward, then backward from a random output gradient
 *       (B, T, H), parameter gradients zeroed first as the trainer does.</li>
 * </ul>
 *
 * Both count {@code batch} samples per invocation in the {@code samples} metric (samples/s).
 */
public class RnnLayerBenchmark extends ModelGrid {
    private static final int T = BenchSupport.STEPS;

    private Backend be;
    private final List<RnnSpec> specs = new ArrayList<>();
    private final List<Tensor> owned = new ArrayList<>();
    private Tensor[] params, grads;      // per layer: (paramCount) canonical layout, random / accumulated
    private Tensor[] outputs;            // per layer: (B, T, H)
    private RnnTrace[] traces;           // per layer: what the training forward pass kept, until backward
    private Tensor[] inputGrads;         // per layer: (B, T, F_l) for l >= 1; null for layer 0
    private Tensor x, dy;                // (B, T, 28) input, (B, T, H) loss gradient of the top layer
    private float[] dyHost;              // (B, T, H)

    @Setup(Level.Trial)
    public void setUp() {
        be = BenchSupport.open(backend);
        SplittableRandom rnd = new SplittableRandom(BenchSupport.SEED);
        RnnSpec.Cell c = RnnSpec.Cell.parse(cell);
        params = new Tensor[layers];
        grads = new Tensor[layers];
        outputs = new Tensor[layers];
        traces = new RnnTrace[layers];
        inputGrads = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            RnnSpec spec = new RnnSpec(c, l == 0 ? BenchSupport.FEATURES : units, units, Activation.parse(activation));
            specs.add(spec);
            // NB: uniform in +-1/sqrt(H) (PyTorch's default RNN init): gates neither saturated nor flat.
            double r = 1 / Math.sqrt(units);
            params[l] = own(BenchSupport.tensor(be, BenchSupport.uniform(rnd, spec.paramCount(), -r, r)));
            grads[l] = own(be.allocate(spec.paramCount()));
            outputs[l] = own(be.allocate(batch * T * units));
            inputGrads[l] = l == 0 ? null : own(be.allocate(batch * T * spec.inputSize()));
        }
        x = own(BenchSupport.tensor(be, BenchSupport.uniform(rnd, batch * T * BenchSupport.FEATURES, 0, 1)));
        dyHost = BenchSupport.uniform(rnd, batch * T * units, -1e-2, 1e-2);
        dy = own(BenchSupport.tensor(be, dyHost));
        be.synchronize();
    }

    private Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    /** A training forward pass of every layer; {@code traces} holds what each kept until {@link #closeTraces()}. */
    private void runForward() {
        Tensor in = x;
        for (int l = 0; l < layers; l++) {
            traces[l] = be.rnnForward(specs.get(l), batch, T, in, params[l], outputs[l]);
            in = outputs[l];
        }
    }

    private void closeTraces() {
        for (int l = 0; l < layers; l++) {
            if (traces[l] != null) traces[l].close();
            traces[l] = null;
        }
    }

    @Benchmark
    public void forward(Samples counter, Blackhole bh) {
        runForward();
        closeTraces();
        be.synchronize();
        bh.consume(outputs[layers - 1]);
        counter.samples += batch;
    }

    @Benchmark
    public void forwardBackward(Samples counter, Blackhole bh) {
        runForward();
        // NB: rnnBackward may overwrite its dy, so the top gradient is staged afresh each time,
        // as the trainer's loss does; (B, T, H) floats, under 1% of the backward pass's time.
        be.write(dyHost, 0, dy, dyHost.length);
        Tensor d = dy;
        for (int l = layers - 1; l >= 0; l--) {
            be.fill(grads[l], 0f);
            be.rnnBackward(traces[l], d, inputGrads[l], grads[l]);
            d = inputGrads[l];
        }
        closeTraces();
        be.synchronize();
        bh.consume(grads[0]);
        counter.samples += batch;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : owned) t.close();
        owned.clear();
        specs.clear();
        if (be != null) be.close();
    }
}
