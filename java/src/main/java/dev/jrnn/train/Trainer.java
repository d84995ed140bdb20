package dev.jrnn.train;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Tensor;
import dev.jrnn.data.Dataset;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains a classifier ({@link Sequential} ending in {@code Dense(classes, softmax)}) with Adam
 * on sparse categorical cross-entropy, on any {@link Backend}. For a given seed and backend
 * configuration the run is deterministic: same seed, same weights, bit for bit.
 *
 * <p>Not thread-safe. Close it to release the backend buffers (not the backend itself).
 */
public final class Trainer implements AutoCloseable {
    private final Sequential model;
    private final Backend backend;
    private final TrainConfig config;
    private final Network net;
    private final int classes, sampleSize;
    private final Tensor m, v;                 // (P) Adam moments
    private final Tensor xBuf, yBuf;           // (B, T, F) staged batch, (B) labels as floats
    private final Tensor dLogits, stats;       // (B, C), (2) [loss sum, correct count]
    private final float[] xHost, yHost;
    private long step;                         // optimiser steps taken
    private int epochsDone;

    public Trainer(Sequential model, Backend backend, TrainConfig config) {
        this.model = model;
        this.backend = backend;
        this.config = config;
        List<Layer> layers = model.layers();
        if (!(layers.get(layers.size() - 1) instanceof Dense last) || last.activation() != Activation.SOFTMAX) {
            throw new IllegalArgumentException("the trainer needs a model ending in Dense(classes, softmax), found "
                    + layers.get(layers.size() - 1));
        }
        this.classes = last.units();
        this.sampleSize = model.inputShape().elements();
        int maxBatch = Math.max(config.batchSize(), config.evalBatchSize());
        this.net = new Network(model, backend, maxBatch);
        this.m = backend.allocate(Math.max(1, model.paramCount()));
        this.v = backend.allocate(Math.max(1, model.paramCount()));
        this.xBuf = backend.allocate(maxBatch * sampleSize);
        this.yBuf = backend.allocate(maxBatch);
        this.dLogits = backend.allocate(maxBatch * classes);
        this.stats = backend.allocate(2);
        this.xHost = new float[maxBatch * sampleSize];
        this.yHost = new float[maxBatch];
        net.setParameters(Initializers.initialParameters(model, config.seed()));
    }

    /** The bound network (parameters, gradients). */
    public Network network() {
        return net;
    }

    /** The configuration. */
    public TrainConfig config() {
        return config;
    }

    /** Optimiser steps taken so far. */
    public long step() {
        return step;
    }

    /** Epochs trained so far (the next {@link #fit} epoch is {@code epochsDone() + 1}). */
    public int epochsDone() {
        return epochsDone;
    }

    /**
     * Everything that determines how training continues, copied to the host: restoring it into a
     * trainer with the same model and configuration and calling {@link #fit} gives the same
     * weights, bit for bit, as never having stopped (shuffles are keyed by (seed, epoch) and
     * dropout masks by (seed, step)).
     *
     * @param params     (P) parameters, canonical layout
     * @param m          (P) Adam first moments
     * @param v          (P) Adam second moments
     * @param step       optimiser steps taken (Adam's t and the dropout counter)
     * @param epochsDone epochs completed
     */
    public record State(float[] params, float[] m, float[] v, long step, int epochsDone) {
        public State {
            if (params.length != m.length || params.length != v.length) {
                throw new IllegalArgumentException("params, m and v must have one length, found "
                        + params.length + ", " + m.length + ", " + v.length);
            }
            if (step < 0 || epochsDone < 0) {
                throw new IllegalArgumentException("step and epochsDone must be >= 0, found " + step + ", " + epochsDone);
            }
        }
    }

    /** A host copy of the training state; call between epochs or batches, never from another thread. */
    public State state() {
        int n = model.paramCount();
        float[] mh = new float[n], vh = new float[n];
        backend.read(m, mh, 0, n);
        backend.read(v, vh, 0, n);
        return new State(net.getParameters(), mh, vh, step, epochsDone);
    }

    /**
     * Replaces the parameters, Adam moments, step and epoch counters with {@code s}.
     *
     * @throws IllegalArgumentException when {@code s} holds another number of parameters than the model
     */
    public void restore(State s) {
        int n = model.paramCount();
        if (s.params().length != n) {
            throw new IllegalArgumentException("expected a state of " + n + " parameters for " + model.shortName()
                    + ", found " + s.params().length);
        }
        net.setParameters(s.params());
        backend.write(s.m(), 0, m, n);
        backend.write(s.v(), 0, v, n);
        step = s.step();
        epochsDone = s.epochsDone();
    }

    /**
     * Trains for {@code epochs} more epochs.
     *
     * @return per-epoch metrics
     * @throws IllegalArgumentException when the data does not match the model's input or classes
     * @throws ArithmeticException      when the loss becomes NaN or infinite
     */
    public List<EpochMetrics> fit(Dataset train, int epochs, TrainingListener listener) {
        checkData(train);
        TrainingListener l = listener == null ? new TrainingListener() {} : listener;
        int n = train.size(), bs = config.batchSize();
        int batches = (n + bs - 1) / bs;
        List<EpochMetrics> history = new ArrayList<>();
        int lastEpoch = epochsDone + epochs;
        for (int e = 0; e < epochs; e++) {
            int epoch = ++epochsDone;
            int[] order = order(n, epoch);
            l.onEpochStart(epoch, lastEpoch, batches);
            long t0 = System.nanoTime();
            backend.fill(stats, 0f);
            float[] s = new float[2];
            for (int bi = 0; bi < batches; bi++) {
                int start = bi * bs, b = Math.min(bs, n - start);
                stage(train, order, start, b);
                trainStep(b);
                boolean lastBatch = bi == batches - 1;
                if (lastBatch || (bi + 1) % config.logInterval() == 0) {
                    backend.read(stats, s, 0, 2);
                    int seen = Math.min(n, (bi + 1) * bs);
                    double loss = s[0] / seen;
                    if (!Double.isFinite(loss)) {
                        throw new ArithmeticException("training diverged: loss is " + loss + " at epoch " + epoch
                                + ", batch " + (bi + 1) + "; try a lower --lr");
                    }
                    l.onBatchEnd(bi + 1, loss, s[1] / seen);
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            EpochMetrics em = new EpochMetrics(epoch, s[0] / n, s[1] / n, secs, n / secs);
            history.add(em);
            l.onEpochEnd(em);
        }
        return history;
    }

    /** Runs one training step on {@code batch} samples from host arrays; for benchmarks. */
    public void trainOnBatch(float[] x, int[] y, int batch) {
        if (batch > net.maxBatch()) throw new IllegalArgumentException("batch " + batch + " exceeds " + net.maxBatch());
        if (x.length < batch * sampleSize || y.length < batch) {
            throw new IllegalArgumentException("expected " + batch + " samples of " + sampleSize
                    + " features, found " + x.length + " features and " + y.length + " labels");
        }
        backend.write(x, 0, xBuf, batch * sampleSize);
        for (int i = 0; i < batch; i++) yHost[i] = y[i];
        backend.write(yHost, 0, yBuf, batch);
        trainStep(batch);
    }

    private void trainStep(int b) {
        step++;
        backend.fill(net.grads(), 0f);
        Tensor logits = net.forward(b, xBuf, true, config.seed(), step);
        backend.softmaxCrossEntropy(b, classes, logits, yBuf, 1f / b, dLogits, stats);
        net.backward(b, dLogits);
        backend.adam(model.paramCount(), net.params(), net.grads(), m, v, config.learningRate(),
                config.beta1(), config.beta2(), config.epsilon(), step);
    }

    /** Loss and accuracy on {@code data} without dropout, in batches of {@link TrainConfig#evalBatchSize()}. */
    public Evaluation evaluate(Dataset data) {
        checkData(data);
        long t0 = System.nanoTime();
        int n = data.size(), bs = Math.min(config.evalBatchSize(), net.maxBatch());
        backend.fill(stats, 0f);
        for (int start = 0; start < n; start += bs) {
            int b = Math.min(bs, n - start);
            stage(data, null, start, b);
            Tensor logits = net.forward(b, xBuf, false, config.seed(), step);
            backend.softmaxCrossEntropy(b, classes, logits, yBuf, 1f, null, stats);
        }
        float[] s = new float[2];
        backend.read(stats, s, 0, 2);
        return new Evaluation(s[0] / n, s[1] / n, n, (System.nanoTime() - t0) / 1e9);
    }

    /** Class probabilities (n, classes) for the first {@code n} samples of {@code x} (n, T, F). */
    public float[] predict(float[] x, int n) {
        float[] out = new float[n * classes];
        Tensor probs = backend.allocate(net.maxBatch() * classes);
        try {
            for (int start = 0; start < n; start += net.maxBatch()) {
                int b = Math.min(net.maxBatch(), n - start);
                backend.write(x, start * sampleSize, xBuf, b * sampleSize);
                Tensor logits = net.forward(b, xBuf, false, config.seed(), step);
                backend.softmax(b, classes, logits, probs);
                backend.read(probs, out, start * classes, b * classes);
            }
        } finally {
            probs.close();
        }
        return out;
    }

    private void stage(Dataset d, int[] order, int start, int b) {
        float[] x = d.x();
        int[] y = d.y();
        for (int i = 0; i < b; i++) {
            int src = order == null ? start + i : order[start + i];
            System.arraycopy(x, src * sampleSize, xHost, i * sampleSize, sampleSize);
            yHost[i] = y[src];
        }
        backend.write(xHost, 0, xBuf, b * sampleSize);
        backend.write(yHost, 0, yBuf, b);
    }

    /** The sample order of an epoch: a Fisher-Yates shuffle seeded by (seed, epoch), or identity. */
    private int[] order(int n, int epoch) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        if (!config.shuffle()) return o;
        SplittableRandom rnd = new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    private void checkData(Dataset d) {
        if (d.steps() * d.features() != sampleSize || d.steps() != model.inputShape().dim(0)) {
            throw new IllegalArgumentException("model " + model.shortName() + " expects samples of shape "
                    + model.inputShape() + ", dataset " + d.name() + " has (" + d.steps() + ", " + d.features() + ")");
        }
        if (d.classes() > classes) {
            throw new IllegalArgumentException("model " + model.shortName() + " has " + classes
                    + " output classes, dataset " + d.name() + " has " + d.classes());
        }
        if (d.size() == 0) throw new IllegalArgumentException("dataset " + d.name() + " is empty");
    }

    @Override
    public void close() {
        net.close();
        for (Tensor t : new Tensor[] {m, v, xBuf, yBuf, dLogits, stats}) t.close();
    }
}
