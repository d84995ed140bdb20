package dev.jrnn.train;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Recurrent;
import dev.jrnn.nn.Sequential;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Sequential} model bound to a {@link Backend}: the flat parameter and gradient
 * buffers plus per-layer activation buffers sized for {@code maxBatch}. Forward and backward are
 * written once against the backend interface.
 *
 * <p>The network owns the buffers it allocates and frees them on {@link #close()}; it does not own
 * the backend or the model. Tensors it returns are views of its own buffers, valid until the next
 * call or {@code close()}. Not thread-safe: used by one thread at a time, like its backend.
 */
public final class Network implements AutoCloseable {
    private final Sequential model;
    private final Backend backend;
    private final int maxBatch;
    private final Tensor params;   // (P) canonical flat layout
    private final Tensor grads;    // (P)
    private final List<Node> nodes = new ArrayList<>();
    private final List<Tensor> owned = new ArrayList<>();

    /**
     * Allocates the parameter, gradient and activation buffers on {@code backend}. The parameters
     * start as zeros; set them with {@link #setParameters}.
     *
     * @param model    the model to bind
     * @param backend  allocates the buffers and runs the ops; the caller keeps owning it
     * @param maxBatch the largest batch B that {@link #forward} and {@link #backward} accept
     * @throws IllegalArgumentException if {@code maxBatch} is not positive
     */
    public Network(Sequential model, Backend backend, int maxBatch) {
        if (maxBatch <= 0) throw new IllegalArgumentException("maxBatch must be positive, found " + maxBatch);
        this.model = model;
        this.backend = backend;
        this.maxBatch = maxBatch;
        this.params = alloc(Math.max(1, model.paramCount()));
        this.grads = alloc(Math.max(1, model.paramCount()));
        for (int i = 0; i < model.layers().size(); i++) {
            Layer layer = model.layers().get(i);
            int in = model.inputShape(i).elements(), out = model.outputShape(i).elements();
            boolean first = i == 0;
            if (layer instanceof Recurrent r) {
                // NB: consecutive recurrent layers of one cell, width and activation run as one stack
                // (cuDNN's numLayers): their parameters are already one block, layer after layer
                int n = stackLength(model, i);
                Recurrent top = (Recurrent) model.layers().get(i + n - 1);
                RnnSpec one = r.spec(model.inputShape(i).dim(1));
                RnnSpec spec = new RnnSpec(one.cell(), one.inputSize(), one.units(), one.activation(), n);
                Tensor p = params.slice(model.paramOffset(i), spec.paramCount());
                Tensor g = grads.slice(model.paramOffset(i), spec.paramCount());
                nodes.add(new RnnNode(spec, model.inputShape(i).dim(0), top.returnSequences(), p, g, first));
                i += n - 1;
                continue;
            }
            Tensor p = params.slice(model.paramOffset(i), model.paramCount(i));
            Tensor g = grads.slice(model.paramOffset(i), model.paramCount(i));
            nodes.add(switch (layer) {
                case Recurrent r -> throw new AssertionError(r);
                case Dropout d -> new DropoutNode((float) d.rate(), i, out);
                case Dense d -> new DenseNode(d, in, p, g, first);
            });
        }
    }

    /** How many recurrent layers from {@code i} on form one stack ({@link Recurrent#stacksOn}). */
    static int stackLength(Sequential model, int i) {
        int n = 1;
        while (i + n < model.layers().size() && model.layers().get(i + n) instanceof Recurrent next
                && next.stacksOn((Recurrent) model.layers().get(i + n - 1))) {
            n++;
        }
        return n;
    }

    private Tensor alloc(int n) {
        Tensor t = backend.allocate(n);
        owned.add(t);
        return t;
    }

    /** {@return the model this network computes} */
    public Sequential model() {
        return model;
    }

    /** {@return the largest batch B the buffers hold} */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * {@return the flat parameters (P), P = {@code model().paramCount()}, canonical layout} The
     * tensor is owned by this network.
     */
    public Tensor params() {
        return params;
    }

    /**
     * {@return the flat gradients (P), same layout as {@link #params()}, accumulated by
     * {@link #backward}} The caller zeroes them before each step; owned by this network.
     */
    public Tensor grads() {
        return grads;
    }

    /** {@return a new host copy of the parameters (P), canonical layout} */
    public float[] getParameters() {
        float[] p = new float[model.paramCount()];
        backend.read(params, p, 0, p.length);
        return p;
    }

    /**
     * Replaces the parameters.
     *
     * @param p (P) the new parameters, canonical flat layout, P = {@code model().paramCount()}
     * @throws IllegalArgumentException if {@code p} does not hold exactly P floats
     */
    public void setParameters(float[] p) {
        if (p.length != model.paramCount()) {
            throw new IllegalArgumentException("expected " + model.paramCount() + " parameters for "
                    + model.shortName() + ", found " + p.length);
        }
        backend.write(p, 0, params, p.length);
    }

    /**
     * Runs every layer on a batch.
     *
     * @param batch    B, in [1, {@link #maxBatch()}]
     * @param x        (B, T, F) input, row-major
     * @param training whether dropout is active
     * @param seed     dropout seed
     * @param step     dropout step counter (the optimiser step)
     * @return (B, out) the last layer's output, a view of this network's buffers valid until the
     *         next call; for a softmax layer, its logits
     * @throws IllegalArgumentException if {@code batch} is not in [1, maxBatch()]
     */
    public Tensor forward(int batch, Tensor x, boolean training, long seed, long step) {
        checkBatch(batch);
        Tensor h = x;
        for (Node n : nodes) h = n.forward(batch, h, training, seed, step);
        return h;
    }

    /**
     * Back-propagates {@code dOut} (B, out) from the last {@link #forward} (which must have been a
     * training pass) and accumulates into {@link #grads()}. Overwrites {@code dOut}.
     *
     * @param batch B, the same as in that forward pass
     * @param dOut  (B, out) the loss gradient with respect to the last layer's output (for a
     *              softmax layer, with respect to its logits)
     * @throws IllegalArgumentException if {@code batch} is not in [1, maxBatch()]
     */
    public void backward(int batch, Tensor dOut) {
        checkBatch(batch);
        Tensor d = dOut;
        for (int i = nodes.size() - 1; i >= 0; i--) d = nodes.get(i).backward(batch, d);
    }

    private void checkBatch(int batch) {
        if (batch <= 0 || batch > maxBatch) {
            throw new IllegalArgumentException("batch must be in [1, " + maxBatch + "], found " + batch);
        }
    }

    /** Frees the buffers this network allocated; the backend stays open. */
    @Override
    public void close() {
        for (Node n : nodes) if (n instanceof RnnNode r) r.dropTrace();
        for (Tensor t : owned) t.close();
        owned.clear();
    }

    private interface Node {
        Tensor forward(int batch, Tensor in, boolean training, long seed, long step);

        /** Returns the gradient with respect to this node's input, or null for the first layer. */
        Tensor backward(int batch, Tensor dOut);
    }

    private final class RnnNode implements Node {
        final RnnSpec spec;
        final int steps;
        final boolean returnSequences, first;
        final Tensor p, g;
        final Tensor y, last, dSeq, dx;   // (B,T,H) (B,H) (B,T,H) (B,T,F)
        /** The last training forward pass's, until its backward pass; what the backend kept for it. */
        RnnTrace trace;

        RnnNode(RnnSpec spec, int steps, boolean returnSequences, Tensor p, Tensor g, boolean first) {
            this.spec = spec;
            this.steps = steps;
            this.returnSequences = returnSequences;
            this.first = first;
            this.p = p;
            this.g = g;
            int H = spec.units();
            y = alloc(maxBatch * steps * H);
            last = returnSequences ? null : alloc(maxBatch * H);
            dSeq = returnSequences ? null : alloc(maxBatch * steps * H);
            dx = first ? null : alloc(maxBatch * steps * spec.inputSize());
        }

        @Override
        public Tensor forward(int batch, Tensor in, boolean training, long seed, long step) {
            int H = spec.units();
            dropTrace();
            // NB: nothing kept without training: no backward follows, and cuDNN then runs its inference mode
            if (training) trace = backend.rnnForward(spec, batch, steps, in, p, y);
            else backend.rnnInfer(spec, batch, steps, in, RnnState.NONE, p, y, RnnState.NONE);
            if (returnSequences) return y.slice(0, batch * steps * H);
            backend.lastStep(batch, steps, H, y, last);
            return last.slice(0, batch * H);
        }

        @Override
        public Tensor backward(int batch, Tensor dOut) {
            Tensor dy = dOut;
            if (!returnSequences) {
                backend.lastStepBackward(batch, steps, spec.units(), dOut, dSeq);
                dy = dSeq;
            }
            if (trace == null) throw new IllegalStateException("backward without a training forward pass of " + spec);
            backend.rnnBackward(trace, dy, dx, g);
            dropTrace();
            return dx;
        }

        void dropTrace() {
            if (trace != null) trace.close();
            trace = null;
        }
    }

    private final class DropoutNode implements Node {
        final float rate;
        final int salt, width;
        final Tensor y, dx;
        boolean active;

        DropoutNode(float rate, int salt, int width) {
            this.rate = rate;
            this.salt = salt;
            this.width = width;
            y = alloc(maxBatch * width);
            dx = alloc(maxBatch * width);
        }

        long seed, step;

        @Override
        public Tensor forward(int batch, Tensor in, boolean training, long seed, long step) {
            active = training && rate > 0;
            if (!active) return in;
            this.seed = seed;
            this.step = step;
            backend.dropout(seed, step, salt, rate, batch * width, in, y);
            return y.slice(0, batch * width);
        }

        @Override
        public Tensor backward(int batch, Tensor dOut) {
            if (!active) return dOut;
            backend.dropout(seed, step, salt, rate, batch * width, dOut, dx);
            return dx.slice(0, batch * width);
        }
    }

    private final class DenseNode implements Node {
        final int in, out;
        final Activation act;
        final boolean first;
        final Tensor w, b, dw, db;   // W (out, in), b (out)
        final Tensor y, dx;          // (B, out), (B, in)
        Tensor x;

        DenseNode(Dense d, int in, Tensor p, Tensor g, boolean first) {
            this.in = in;
            this.out = d.units();
            this.act = d.activation() == Activation.SOFTMAX ? Activation.LINEAR : d.activation();
            this.first = first;
            w = p.slice(0, out * in);
            b = p.slice(out * in, out);
            dw = g.slice(0, out * in);
            db = g.slice(out * in, out);
            y = alloc(maxBatch * out);
            dx = first ? null : alloc(maxBatch * in);
        }

        @Override
        public Tensor forward(int batch, Tensor x, boolean training, long seed, long step) {
            this.x = x;
            backend.gemm(false, true, batch, out, in, 1f, x, w, 0f, y);
            backend.biasActivation(batch, out, y, b, act);
            return y.slice(0, batch * out);
        }

        @Override
        public Tensor backward(int batch, Tensor dOut) {
            if (act != Activation.LINEAR) backend.activationBackward(batch * out, act, y, dOut);
            backend.gemm(true, false, out, in, batch, 1f, dOut, x, 1f, dw);
            backend.biasGradient(batch, out, dOut, db);
            if (first) return null;
            backend.gemm(false, false, batch, in, out, 1f, dOut, w, 0f, dx);
            return dx.slice(0, batch * in);
        }
    }
}
