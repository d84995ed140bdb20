package dev.jrnn.train;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Tensor;
import dev.jrnn.data.Dataset;
import dev.jrnn.nn.Initializers;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Masking;
import dev.jrnn.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains a classifier ({@link Sequential} ending in {@code Dense(classes, softmax)}) with Adam
 * on sparse categorical cross-entropy, on any {@link Backend}. For a given seed and backend
 * configuration the run is deterministic: same seed, same weights, bit for bit.
 *
 * <p>Each step computes {@code logits = model(x)} and
 * {@code loss = mean_b -log softmax(logits_b)[y_b]} over the batch, back-propagates it and applies
 * one Adam step (see {@link TrainConfig}).
 *
 * <p>Data stays on the backend: {@link #fit} and {@link #evaluate} copy a dataset to the backend
 * once (the last one trained on and the last one evaluated are kept; the Vector API CPU backend
 * shares the samples array instead of copying it, see {@link Backend#constant}), then per epoch
 * only the shuffled order, and assemble each batch there ({@link Backend#gatherRows}); the host
 * reads the running loss and accuracy only every {@link TrainConfig#logInterval()} batches. So a
 * {@link Dataset}'s arrays must not change while a trainer uses it: make a new {@code Dataset}
 * instead (a sampled fingerprint, checked on every call, catches most changes made in place and
 * uploads the data again, but not all). A dataset of more than 2^31 - 1 floats or 2^24 samples, or
 * one whose copy fails (no room on the device), is copied batch by batch instead. A diverging loss
 * (NaN, infinite, or above {@link #BLOW_UP} times a uniform guess's) is noticed at the next read, so up to {@code logInterval - 1} steps may run on non-finite values
 * before {@link #fit} throws.
 *
 * <p>Sequences of different lengths: a dataset's {@link Dataset#lengths()} and, when the model
 * starts with {@link Masking}, the lengths its padding value marks (the shorter of the two counts)
 * go with every batch to {@link Network#forward(int, Tensor, int[], boolean, long, long)}, so the
 * recurrent layers skip each sample's padding. Fixed-length data runs exactly as before, bit for
 * bit. With {@link TrainConfig#bucketing()} the training batches hold samples of similar length
 * ({@link #fit}). NB: every batch still runs over the model's T steps (the backends skip the padding
 * of each sample, so a batch costs what its lengths add up to on the CPU); cutting a batch to its
 * longest length would need a strided gather and per-batch buffer shapes for little gain there.
 *
 * <p>Not thread-safe: use it, and its backend, from one thread at a time. Close it to release the
 * backend buffers (not the backend itself, which the caller owns).
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
    private BackendDataset trainData, evalData;      // datasets copied to the backend, or null
    /**
     * Divergence guard, beside Keras' {@code TerminateOnNaN}: a running loss above this many times
     * {@code ln(classes)} (a uniform guess's loss) stops {@link #fit} as a non-finite one does. NB: a
     * model this far off predicts the wrong class with logit gaps in the hundreds; no run recovers
     * from there, while a NaN can take many more epochs to appear (--lr 1e6 ended at loss 5e13).
     */
    public static final int BLOW_UP = 100;
    /** Largest dataset (in floats) kept on the backend; larger ones are copied batch by batch. Tests lower it. */
    static long residentLimit = Integer.MAX_VALUE;

    /** A dataset on the backend: samples x (N, T, F), labels y (N) as floats, and an order (N) to gather by. */
    private final class BackendDataset implements AutoCloseable {
        final float[] xKey;
        final int[] yKey, lKey;
        final long fingerprint;
        final Tensor x, y;
        final int[] lengths;                   // (N) the samples' lengths, or null when all are T
        Tensor order;                          // (N) made on first use: evaluation reads in order

        BackendDataset(Dataset d) {
            int n = d.size();
            xKey = d.x();
            yKey = d.y();
            lKey = d.lengths();
            fingerprint = fingerprint(d);
            lengths = sampleLengths(d);
            Tensor xs = null, ys = null;
            try {
                // NB: shared, not copied, where the backend can (the CPU); a Dataset's arrays stay unchanged
                xs = backend.constant(d.x());
                ys = backend.allocate(n);
                float[] labels = new float[n];
                for (int i = 0; i < n; i++) labels[i] = d.y()[i];
                backend.write(labels, 0, ys, n);
            } catch (RuntimeException e) {
                if (xs != null) xs.close();
                if (ys != null) ys.close();
                throw e;
            }
            x = xs;
            y = ys;
        }

        boolean holds(Dataset d) {
            return xKey == d.x() && yKey == d.y() && lKey == d.lengths() && fingerprint == fingerprint(d);
        }

        /** Writes {@code o} as the gather order. */
        void useOrder(int[] o) {
            if (order == null) order = backend.allocate(o.length);
            float[] f = new float[o.length];
            for (int i = 0; i < o.length; i++) f[i] = o[i];
            backend.write(f, 0, order, o.length);
        }

        @Override
        public void close() {
            x.close();
            y.close();
            if (order != null) order.close();
        }
    }

    /**
     * A hash of up to about 5,000 evenly spaced values of {@code d}'s samples and labels. NB: so that
     * a dataset changed in place (against the class comment's advice) is, in most cases, uploaded
     * again rather than trained on stale; cheap enough to take on every fit and evaluate.
     */
    static long fingerprint(Dataset d) {
        float[] x = d.x();
        int[] y = d.y();
        long h = 1125899906842597L;
        for (int i = 0, step = Math.max(1, x.length / 4096); i < x.length; i += step) h = 31 * h + Float.floatToRawIntBits(x[i]);
        for (int i = 0, step = Math.max(1, y.length / 1024); i < y.length; i += step) h = 31 * h + y[i];
        return h;
    }

    /**
     * The backend copy of {@code d} in slot {@code eval} or training, made (replacing the slot's
     * previous dataset) if needed; {@code null} when {@code d} is too large for one tensor.
     */
    private BackendDataset resident(Dataset d, boolean eval) {
        if (trainData != null && trainData.holds(d)) return trainData;
        if (evalData != null && evalData.holds(d)) {
            if (eval) return evalData;
            // NB: training takes the evaluation copy over, so that evaluating another dataset during
            // fit (a listener's validation) cannot close the copy fit is reading
            if (trainData != null) trainData.close();
            trainData = evalData;
            evalData = null;
            return trainData;
        }
        BackendDataset r = eval ? evalData : trainData;
        if ((long) d.size() * sampleSize > residentLimit || d.size() >= (1 << 24)) return null;
        if (r != null) r.close();
        if (eval) evalData = null;
        else trainData = null;
        try {
            r = new BackendDataset(d);
        } catch (RuntimeException e) {
            // NB: no room on the backend (device memory): copy batch by batch instead, as before
            return null;
        }
        if (eval) evalData = r;
        else trainData = r;
        return r;
    }

    /**
     * Binds the model to the backend, allocates buffers for {@code max(batchSize, evalBatchSize)}
     * samples and draws the initial weights from {@code config.seed()} (see {@link Initializers}).
     *
     * @param model   a classifier whose last layer is {@code Dense(classes, softmax)}
     * @param backend runs the ops; the caller keeps owning it and closes it after this trainer
     * @param config  optimiser and loop settings
     * @throws IllegalArgumentException if the model does not end in {@code Dense(classes, softmax)}
     */
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

    /** {@return the bound network (parameters, gradients), owned by this trainer} */
    public Network network() {
        return net;
    }

    /** {@return the configuration this trainer was created with} */
    public TrainConfig config() {
        return config;
    }

    /** {@return the number of optimiser steps taken so far, Adam's t of the last step} */
    public long step() {
        return step;
    }

    /**
     * {@return the number of epochs trained so far} The next {@link #fit} epoch is
     * {@code epochsDone() + 1}.
     */
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
        /**
         * Checks the state; the arrays are kept, not copied.
         *
         * @throws IllegalArgumentException if {@code params}, {@code m} and {@code v} differ in
         *                                  length, or {@code step} or {@code epochsDone} is
         *                                  negative
         */
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

    /**
     * Copies the training state to the host; call between epochs or batches, never from another
     * thread.
     *
     * @return a new state whose arrays the caller owns
     */
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
     * @param s a state from {@link #state()} of a trainer with the same model and configuration,
     *          for example read from a checkpoint
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
     * Trains for {@code epochs} more epochs, continuing the epoch and step counters. Each epoch
     * visits every sample once in batches of {@link TrainConfig#batchSize()} (the last one may be
     * smaller), in an order shuffled by (seed, epoch) when {@link TrainConfig#shuffle()}.
     *
     * <p>With {@link TrainConfig#bucketing()}, the epoch's order is then cut into pools of
     * {@link #BUCKET_POOL} batches, each pool sorted by sample length (stably, so equal lengths keep
     * their shuffled order) and cut into batches, and the batches' order is shuffled by (seed,
     * epoch); one batch, the last of the last pool, may be smaller. Every sample is still visited
     * once per epoch, and a seed gives the same batches.
     *
     * @param train    the training data; samples (T, F) must match the model's input shape
     * @param epochs   the number of epochs to run
     * @param listener receives progress, or {@code null} for none
     * @return the metrics of each epoch run, in order
     * @throws IllegalArgumentException when the data does not match the model's input or classes,
     *                                  or is empty
     * @throws ArithmeticException      when the loss becomes NaN or infinite, or exceeds
     *                                  {@link #BLOW_UP} times {@code ln(classes)}
     */
    public List<EpochMetrics> fit(Dataset train, int epochs, TrainingListener listener) {
        checkData(train);
        TrainingListener l = listener == null ? new TrainingListener() {} : listener;
        int n = train.size(), bs = config.batchSize();
        int batches = (n + bs - 1) / bs;
        List<EpochMetrics> history = new ArrayList<>();
        int lastEpoch = epochsDone + epochs;
        BackendDataset data = resident(train, false);
        int[] lengths = data != null ? data.lengths : sampleLengths(train);
        for (int e = 0; e < epochs; e++) {
            int epoch = ++epochsDone;
            int[] order = order(n, epoch);
            int[] sizes = config.bucketing() ? bucket(order, lengths, bs, bucketRandom(epoch)) : regularBatches(n, bs);
            l.onEpochStart(epoch, lastEpoch, batches);
            long t0 = System.nanoTime();
            if (data != null) data.useOrder(order);
            backend.fill(stats, 0f);
            float[] s = new float[2];
            int start = 0;
            for (int bi = 0; bi < batches; bi++) {
                int b = sizes[bi];
                if (data != null) {
                    Tensor rows = data.order.slice(start, b);
                    backend.gatherRows(b, sampleSize, data.x, rows, xBuf);
                    backend.gatherRows(b, 1, data.y, rows, yBuf);
                } else {
                    stage(train, order, start, b);
                }
                trainStep(b, batchLengths(lengths, order, start, b));
                start += b;
                boolean lastBatch = bi == batches - 1;
                if (lastBatch || (bi + 1) % config.logInterval() == 0) {
                    backend.read(stats, s, 0, 2);
                    int seen = start;
                    double loss = s[0] / seen;
                    if (!Double.isFinite(loss) || loss > blowUpLoss()) {
                        throw new ArithmeticException("training diverged: " + (Double.isFinite(loss)
                                ? String.format(java.util.Locale.ROOT, "the loss reached %.4g, over %d x ln(%d) = %.1f"
                                        + " (%d times a uniform guess's loss)", loss, BLOW_UP, classes, blowUpLoss(), BLOW_UP)
                                : "loss is " + loss) + " at epoch " + epoch + ", batch " + (bi + 1)
                                + (config.logInterval() > 1 ? " (checked every " + config.logInterval() + " batches)" : "")
                                + "; try a lower --lr");
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

    /** Batches of a bucketed epoch sorted together: {@link #fit}'s pools hold this many batches. */
    public static final int BUCKET_POOL = 100;

    /** The sizes of the batches of {@code n} samples cut in order: {@code bs}, ..., the rest. */
    static int[] regularBatches(int n, int bs) {
        int[] sizes = new int[(n + bs - 1) / bs];
        for (int i = 0; i < sizes.length; i++) sizes[i] = Math.min(bs, n - i * bs);
        return sizes;
    }

    /**
     * Length bucketing, in place: sorts each pool of {@link #BUCKET_POOL} batches of {@code order}
     * by length (stably), cuts the pools into batches of {@code bs}, and rearranges {@code order}
     * so the batches follow one another in an order shuffled by {@code rnd}.
     *
     * @param order   (N) the epoch's (shuffled) sample order; rearranged in place
     * @param lengths (N) sample lengths, or {@code null} when all are T (the order is then only
     *                regrouped by batch)
     * @param bs      the batch size
     * @param rnd     shuffles the batches' order
     * @return the sizes of the batches, in the new order of {@code order}: all {@code bs} but one
     *         when N is not a multiple of {@code bs} (the last of the last pool)
     */
    static int[] bucket(int[] order, int[] lengths, int bs, SplittableRandom rnd) {
        int n = order.length;
        long pool = (long) bs * BUCKET_POOL;
        long[] keyed = new long[n];
        for (int from = 0; from < n; from += (int) Math.min(pool, n - from)) {
            int to = (int) Math.min(n, from + pool);
            // NB: sort (length, position) pairs: a stable sort by length, the same on every run
            for (int i = from; i < to; i++) keyed[i] = ((long) (lengths == null ? 0 : lengths[order[i]]) << 32) | i;
            java.util.Arrays.sort(keyed, from, to);
        }
        int[] sorted = new int[n];
        for (int i = 0; i < n; i++) sorted[i] = order[(int) keyed[i]];
        int[] sizes = regularBatches(n, bs);
        int[] perm = new int[sizes.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        if (rnd != null) {
            for (int i = perm.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        }
        int[] out = new int[sizes.length];
        int at = 0;
        for (int i = 0; i < perm.length; i++) {
            int src = perm[i] * bs;
            out[i] = sizes[perm[i]];
            System.arraycopy(sorted, src, order, at, out[i]);
            at += out[i];
        }
        return out;
    }

    /** The batch-order shuffle of a bucketed epoch, keyed by (seed, epoch); {@code null} without shuffling. */
    private SplittableRandom bucketRandom(int epoch) {
        if (!config.shuffle()) return null;
        return new SplittableRandom((config.seed() * 0x9E3779B97F4A7C15L + epoch) ^ 0x6A09E667F3BCC909L);
    }

    /**
     * The lengths of {@code order[start, start + b)} (in order when {@code order} is null), or
     * {@code null} when all are T.
     */
    private int[] batchLengths(int[] lengths, int[] order, int start, int b) {
        if (lengths == null) {
            if (model.masking() == null) return null;
            // NB: all T, said explicitly: null would make the network read the batch back to find its mask
            int[] full = new int[b];
            java.util.Arrays.fill(full, model.inputShape().dim(0));
            return full;
        }
        int[] out = new int[b];
        for (int i = 0; i < b; i++) out[i] = lengths[order == null ? start + i : order[start + i]];
        return out;
    }

    /**
     * Every sample's length: the dataset's {@link Dataset#lengths()} and, when the model starts
     * with {@link Masking}, what its mask value marks, the shorter of the two.
     *
     * @return (N) lengths in [1, T], or {@code null} when every sample is T steps long
     */
    int[] sampleLengths(Dataset d) {
        Masking mask = model.masking();
        int[] out = d.lengths() == null ? null : d.lengths().clone();
        if (mask != null) {
            int[] m = mask.lengths(d.x(), 0, d.size(), d.steps(), d.features());
            if (out == null) out = m;
            else for (int i = 0; i < out.length; i++) out[i] = Math.min(out[i], m[i]);
        }
        if (out == null) return null;
        for (int len : out) if (len != d.steps()) return out;
        return null;
    }

    /**
     * Runs one training step (forward, backward, Adam) on {@code batch} samples from host arrays;
     * for benchmarks. Advances {@link #step()} but not {@link #epochsDone()}.
     *
     * @param x     (batch, T, F) inputs, row-major; only the first {@code batch*T*F} are read
     * @param y     (batch) class labels in [0, classes); only the first {@code batch} are read
     * @param batch the number of samples, in [1, max(batchSize, evalBatchSize)]
     * @throws IllegalArgumentException if {@code batch} is out of range or {@code x} or {@code y}
     *                                  holds fewer than {@code batch} samples
     */
    public void trainOnBatch(float[] x, int[] y, int batch) {
        trainOnBatch(x, y, null, batch);
    }

    /**
     * Runs one training step on {@code batch} samples of the given lengths from host arrays; for
     * benchmarks. Advances {@link #step()} but not {@link #epochsDone()}.
     *
     * @param x       (batch, T, F) inputs, row-major; only the first {@code batch*T*F} are read
     * @param y       (batch) class labels in [0, classes); only the first {@code batch} are read
     * @param lengths (batch) lengths in [1, T], or {@code null} for all T (or, with a
     *                {@link Masking} layer, for the lengths it marks)
     * @param batch   the number of samples, in [1, max(batchSize, evalBatchSize)]
     * @throws IllegalArgumentException if {@code batch} is out of range, {@code x} or {@code y}
     *                                  holds fewer than {@code batch} samples, or a length is not
     *                                  in [1, T]
     */
    public void trainOnBatch(float[] x, int[] y, int[] lengths, int batch) {
        if (batch > net.maxBatch()) throw new IllegalArgumentException("batch " + batch + " exceeds " + net.maxBatch());
        if (x.length < batch * sampleSize || y.length < batch) {
            throw new IllegalArgumentException("expected " + batch + " samples of " + sampleSize
                    + " features, found " + x.length + " features and " + y.length + " labels");
        }
        backend.write(x, 0, xBuf, batch * sampleSize);
        for (int i = 0; i < batch; i++) yHost[i] = y[i];
        backend.write(yHost, 0, yBuf, batch);
        trainStep(batch, lengths == null ? null : java.util.Arrays.copyOf(lengths, batch));
    }

    /**
     * The running loss above which training counts as diverged though still finite: {@link #BLOW_UP}
     * times the cross-entropy of a uniform guess, {@code ln(classes)} (230 for 10 classes).
     */
    private double blowUpLoss() {
        return BLOW_UP * Math.max(1.0, Math.log(classes));
    }

    private void trainStep(int b, int[] lengths) {
        step++;
        backend.fill(net.grads(), 0f);
        Tensor logits = net.forward(b, xBuf, lengths, true, config.seed(), step);
        backend.softmaxCrossEntropy(b, classes, logits, yBuf, 1f / b, dLogits, stats);
        net.backward(b, dLogits);
        backend.adam(model.paramCount(), net.params(), net.grads(), m, v, config.learningRate(),
                config.beta1(), config.beta2(), config.epsilon(), step);
    }

    /**
     * Measures loss and accuracy on {@code data} without dropout, in batches of
     * {@link TrainConfig#evalBatchSize()}. Changes no weights.
     *
     * @param data the data to evaluate; samples (T, F) must match the model's input shape
     * @return the mean cross-entropy, accuracy, sample count and wall time
     * @throws IllegalArgumentException when the data does not match the model's input or classes,
     *                                  or is empty
     */
    public Evaluation evaluate(Dataset data) {
        checkData(data);
        long t0 = System.nanoTime();
        int n = data.size(), bs = Math.min(config.evalBatchSize(), net.maxBatch());
        BackendDataset r = resident(data, true);
        int[] lengths = r != null ? r.lengths : sampleLengths(data);
        backend.fill(stats, 0f);
        for (int start = 0; start < n; start += bs) {
            int b = Math.min(bs, n - start);
            Tensor x = xBuf, y = yBuf;
            if (r != null) {                   // in order: the batch is a view of the backend copy
                x = r.x.slice(start * sampleSize, b * sampleSize);
                y = r.y.slice(start, b);
            } else {
                stage(data, null, start, b);
            }
            Tensor logits = net.forward(b, x, batchLengths(lengths, null, start, b), false, config.seed(), step);
            backend.softmaxCrossEntropy(b, classes, logits, y, 1f, null, stats);
        }
        float[] s = new float[2];
        backend.read(stats, s, 0, 2);
        return new Evaluation(s[0] / n, s[1] / n, n, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Computes class probabilities {@code softmax(logits)} without dropout, over full-length
     * samples or, when the model starts with {@link Masking}, the lengths it marks.
     *
     * @param x (n, T, F) inputs, row-major, at least {@code n * T * F} floats
     * @param n the number of samples to predict
     * @return (n, classes) probabilities, row-major
     */
    public float[] predict(float[] x, int n) {
        return predict(x, null, n);
    }

    /**
     * Computes class probabilities {@code softmax(logits)} without dropout, for samples of the
     * given lengths (the shorter of these and a {@link Masking} layer's, when the model has one).
     * A sample's result depends neither on its padding nor on the other samples.
     *
     * @param x       (n, T, F) inputs, row-major, at least {@code n * T * F} floats
     * @param lengths (n) lengths in [1, T], or {@code null} for all T
     * @param n       the number of samples to predict
     * @return (n, classes) probabilities, row-major
     * @throws IllegalArgumentException if a length is outside [1, T] or fewer than n are given
     */
    public float[] predict(float[] x, int[] lengths, int n) {
        int steps = model.inputShape().dim(0);
        if (lengths != null && lengths.length < n) {
            throw new IllegalArgumentException("expected " + n + " lengths, found " + lengths.length);
        }
        float[] out = new float[n * classes];
        Tensor probs = dLogits;                    // (B, C), free outside a training step: no allocation per call
        for (int start = 0; start < n; start += net.maxBatch()) {
            int b = Math.min(net.maxBatch(), n - start);
            backend.write(x, start * sampleSize, xBuf, b * sampleSize);
            int[] lens = lengths == null ? null : java.util.Arrays.copyOfRange(lengths, start, start + b);
            Masking mask = model.masking();
            if (mask != null) {
                int[] m = mask.lengths(x, start, b, steps, sampleSize / steps);
                if (lens == null) lens = m;
                else for (int i = 0; i < b; i++) lens[i] = Math.min(lens[i], m[i]);
            }
            Tensor logits = net.forward(b, xBuf, lens, false, config.seed(), step);
            backend.softmax(b, classes, logits, probs);
            backend.read(probs, out, start * classes, b * classes);
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

    /** Frees this trainer's buffers on the backend; the backend stays open. */
    @Override
    public void close() {
        net.close();
        for (Tensor t : new Tensor[] {m, v, xBuf, yBuf, dLogits, stats}) t.close();
        if (trainData != null) trainData.close();
        if (evalData != null) evalData.close();
        trainData = evalData = null;
    }
}
