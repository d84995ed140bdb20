package dev.jrnn.train;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Masking;
import dev.jrnn.nn.Recurrent;
import dev.jrnn.nn.Sequential;
import dev.jrnn.nn.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Sequential} model bound to a {@link Backend}: the flat parameter and gradient
 * buffers plus per-layer activation buffers sized for {@code maxBatch}. Forward and backward are
 * written once against the backend interface.
 *
 * <p>Sequences of different lengths: {@link #forward(int, Tensor, int[], boolean, long, long)}
 * takes one length per sample (or a {@link Masking} layer derives them from the input); every
 * recurrent layer then runs each sample over its valid steps only (PyTorch's
 * {@code pack_padded_sequence} semantics, see {@link Backend#rnnForward(RnnSpec, int, int, int[],
 * Tensor, dev.jrnn.backend.RnnState, Tensor, Tensor, dev.jrnn.backend.RnnState) rnnForward}): its
 * outputs past a length are 0 and a layer without {@code returnSequences} outputs its last
 * <em>valid</em> step. For a unidirectional layer that is its final hidden state: the op writes it
 * ({@code hy}) and its gradient enters the backward pass as the final state's ({@code dLast}, with
 * no {@code dy}). A bidirectional layer's, whose reverse half is step 0's, is gathered with
 * {@link Backend#gatherRows} and its gradient scattered into a (B, T, 2H) {@code dy} with
 * {@link Backend#scatterRows}. NB: layers after a recurrent layer that returns sequences see zeros
 * in the padding (Dropout keeps them 0, a SUM merge adds two zeros); the gradient they send there
 * reaches only the recurrent layer's padding steps, which its backward pass ignores, so no gradient
 * flows from padding into any weight.
 *
 * <p>{@link Bidirectional} layers run as {@link RnnSpec#bidirectional()} ops, whose y holds both
 * directions, (B, T, 2H); a SUM merge multiplies it by {@code [I; I]} (2H, H) with
 * {@link Backend#gemm}, and a layer without {@code returnSequences} outputs the forward half of its
 * last valid step and the reverse half of step 0 (Keras' {@code Bidirectional} output).
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
        int firstComputing = model.masking() != null ? 1 : 0;
        for (int i = firstComputing; i < model.layers().size(); i++) {
            Layer layer = model.layers().get(i);
            int in = model.inputShape(i).elements(), out = model.outputShape(i).elements();
            boolean first = i == firstComputing;
            if (layer instanceof Recurrent || layer instanceof Bidirectional) {
                // NB: consecutive recurrent layers of one cell, width and activation (and, for
                // Bidirectional, CONCAT merges) run as one stack (cuDNN's numLayers): their
                // parameters are already one block, layer after layer
                int n = stackLength(model, i);
                Layer top = model.layers().get(i + n - 1);
                RnnSpec one = layer instanceof Recurrent r ? r.spec(model.inputShape(i).dim(1))
                        : ((Bidirectional) layer).spec(model.inputShape(i).dim(1));
                RnnSpec spec = new RnnSpec(one.cell(), one.inputSize(), one.units(), one.activation(), n, one.bidirectional());
                boolean seq = top instanceof Recurrent r ? r.returnSequences() : ((Bidirectional) top).returnSequences();
                boolean sum = top instanceof Bidirectional b && b.merge() == Bidirectional.Merge.SUM;
                Tensor p = params.slice(model.paramOffset(i), spec.paramCount());
                Tensor g = grads.slice(model.paramOffset(i), spec.paramCount());
                nodes.add(new RnnNode(spec, model.inputShape(i).dim(0), seq, sum, p, g, first));
                i += n - 1;
                continue;
            }
            Tensor p = params.slice(model.paramOffset(i), model.paramCount(i));
            Tensor g = grads.slice(model.paramOffset(i), model.paramCount(i));
            nodes.add(switch (layer) {
                case Recurrent r -> throw new AssertionError(r);
                case Bidirectional b -> throw new AssertionError(b);
                case Masking m -> throw new AssertionError("Masking is the first layer only: " + m);
                case Dropout d -> new DropoutNode((float) d.rate(), i, out);
                case Dense d -> new DenseNode(d, in, p, g, first);
            });
        }
    }

    /**
     * How many recurrent layers from {@code i} on form one stack: {@link Recurrent#stacksOn} for
     * unidirectional layers, {@link Bidirectional#stacksOn} (CONCAT only) for bidirectional ones.
     */
    static int stackLength(Sequential model, int i) {
        int n = 1;
        List<Layer> ls = model.layers();
        while (i + n < ls.size() && Sequential.stacks(ls.get(i + n - 1), ls.get(i + n))) n++;
        return n;
    }

    /**
     * The rows {@link Backend#gatherRows} takes for the last valid step of each sequence, from y
     * (B, T, D*H) seen as (B*T*D) rows of H: unidirectional ({@code D = 1}), row
     * {@code b*T + len_b - 1} for sample b; bidirectional ({@code D = 2}), rows
     * {@code 2b = (b*T + len_b - 1)*2} (the forward direction at its last valid step) and
     * {@code 2b+1 = (b*T)*2 + 1} (the reverse direction at step 0, where it ends). Gathered, they
     * form (B, D*H): each sample's halves side by side.
     *
     * @param batch         B
     * @param steps         T
     * @param lengths       B lengths in [1, T], or {@code null} for all T
     * @param bidirectional whether y holds two directions
     * @return (B * D) row numbers, as floats (exact below 2^24)
     */
    static float[] lastStepRows(int batch, int steps, int[] lengths, boolean bidirectional) {
        int d = bidirectional ? 2 : 1;
        float[] idx = new float[batch * d];
        for (int b = 0; b < batch; b++) {
            int len = lengths == null ? steps : lengths[b];
            long last = (long) b * steps + len - 1;
            if (bidirectional) {
                idx[2 * b] = last * 2;
                idx[2 * b + 1] = (long) b * steps * 2 + 1;
            } else {
                idx[b] = last;
            }
        }
        return idx;
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
     * Runs every layer on a batch of full-length sequences, or with the lengths a {@link Masking}
     * layer finds: {@link #forward(int, Tensor, int[], boolean, long, long) forward} with
     * {@code lengths = null}.
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
        return forward(batch, x, null, training, seed, step);
    }

    /**
     * Runs every layer on a batch of sequences of the given lengths: sample b is steps
     * {@code [0, lengths[b])} of its row of {@code x}, the rest padding that changes nothing (see
     * the class comment).
     *
     * @param batch    B, in [1, {@link #maxBatch()}]
     * @param x        (B, T, F) input, row-major
     * @param lengths  (B) lengths in [1, T]; {@code null} for all T, or, when the model starts with
     *                 {@link Masking}, for the lengths it finds in {@code x} (which reads the batch
     *                 back to the host: pass them when known)
     * @param training whether dropout is active
     * @param seed     dropout seed
     * @param step     dropout step counter (the optimiser step)
     * @return (B, out) the last layer's output, a view of this network's buffers valid until the
     *         next call; for a softmax layer, its logits
     * @throws IllegalArgumentException if {@code batch} is not in [1, maxBatch()], or the lengths
     *                                  are not B values in [1, T]
     */
    public Tensor forward(int batch, Tensor x, int[] lengths, boolean training, long seed, long step) {
        checkBatch(batch);
        Shape in = model.inputShape();
        if (lengths == null && model.masking() != null) {
            float[] host = new float[batch * in.elements()];
            backend.read(x, host, 0, host.length);
            lengths = model.masking().lengths(host, 0, batch, in.dim(0), in.dim(1));
        }
        if (lengths != null) {
            if (in.rank() != 2) throw new IllegalArgumentException("lengths need sequence input (T, F), the model's is " + in);
            RnnSpec.checkLengths("forward", batch, in.dim(0), lengths);
            if (RnnSpec.fullLength(lengths, in.dim(0))) lengths = null;   // NB: the fixed-length path, bit for bit
        }
        Tensor h = x;
        for (Node n : nodes) h = n.forward(batch, h, lengths, training, seed, step);
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
        /** {@code lengths}: (B) in [1, T] with some below T, or null for all T. */
        Tensor forward(int batch, Tensor in, int[] lengths, boolean training, long seed, long step);

        /** Returns the gradient with respect to this node's input, or null for the first layer. */
        Tensor backward(int batch, Tensor dOut);
    }

    private final class RnnNode implements Node {
        final RnnSpec spec;
        final int steps;
        final boolean returnSequences, sum, first;
        final Tensor p, g;
        final Tensor y;        // (B, T, D*H) both directions when bidirectional
        final Tensor last;     // without returnSequences: (layers, B, H) final states, or (B, 2H) bidirectional's last valid steps
        final Tensor rows;     // (B*D) gather rows into y seen as (B*T*D, H), or null
        final Tensor dSeq;     // (B, T, 2H) gradient of y where it is neither dOut itself nor absent (bidirectional), else null
        final Tensor dx;       // (B, T, F), or null for the first layer
        final Tensor merge;    // SUM: (2H, H) = [I; I]; else null
        final Tensor merged;   // SUM: (B, T, H) or (B, H) the merged output; else null
        final Tensor dLast;    // SUM without returnSequences: (B, 2H) gradient of last; else null
        final Tensor dTop;     // a unidirectional stack without returnSequences: (layers, B, H) final-state gradients; else null
        /** The last training forward pass's, until its backward pass; what the backend kept for it. */
        RnnTrace trace;

        RnnNode(RnnSpec spec, int steps, boolean returnSequences, boolean sum, Tensor p, Tensor g, boolean first) {
            this.spec = spec;
            this.steps = steps;
            this.returnSequences = returnSequences;
            this.sum = sum;
            this.first = first;
            this.p = p;
            this.g = g;
            int H = spec.units(), W = spec.outputSize();
            y = alloc(maxBatch * steps * W);
            // unidirectional: the final states, (layers, B, H); bidirectional: the gathered last steps, (B, 2H)
            last = returnSequences ? null : alloc(maxBatch * (spec.bidirectional() ? W : spec.layers() * H));
            rows = returnSequences || !spec.bidirectional() ? null : alloc(maxBatch * spec.directions());   // gatherRows' row numbers
            // NB: a unidirectional layer's last output is its final state, whose gradient goes in as
            // dLast without a dy: no (B, T, H) of zeros to fill and for the backward pass to read
            // (LSTM-32 training on one thread: scattering into it and reading it back cost 4-7%)
            dSeq = spec.bidirectional() && (sum || !returnSequences) ? alloc(maxBatch * steps * W) : null;
            dTop = !returnSequences && !spec.bidirectional() && spec.layers() > 1 ? alloc(spec.layers() * maxBatch * H) : null;
            dx = first ? null : alloc(maxBatch * steps * spec.inputSize());
            if (sum) {
                merge = alloc(2 * H * H);
                float[] m = new float[2 * H * H];
                for (int i = 0; i < H; i++) {
                    m[i * H + i] = 1f;
                    m[(H + i) * H + i] = 1f;
                }
                backend.write(m, 0, merge, m.length);
                merged = alloc(maxBatch * (returnSequences ? steps : 1) * H);
                dLast = returnSequences ? null : alloc(maxBatch * W);
            } else {
                merge = merged = dLast = null;
            }
        }

        @Override
        public Tensor forward(int batch, Tensor in, int[] lengths, boolean training, long seed, long step) {
            int H = spec.units(), W = spec.outputSize();
            dropTrace();
            // a unidirectional layer's last (valid) step is its final hidden state: the op writes it as hy
            // (a stack's top layer's, of (layers, B, H)), on the threads that computed it
            boolean fin = !returnSequences && !spec.bidirectional();
            int top = (spec.layers() - 1) * batch * H;
            RnnState out = fin ? RnnState.of(last.slice(0, top + batch * H)) : RnnState.NONE;
            // NB: nothing kept without training: no backward follows, and cuDNN then runs its inference mode
            if (training) trace = backend.rnnForward(spec, batch, steps, lengths, in, RnnState.NONE, p, y, out);
            else backend.rnnInfer(spec, batch, steps, lengths, in, RnnState.NONE, p, y, out);
            if (returnSequences) {
                if (!sum) return y.slice(0, batch * steps * W);
                backend.gemm(false, false, batch * steps, H, W, 1f, y, merge, 0f, merged);
                return merged.slice(0, batch * steps * H);
            }
            if (fin) return last.slice(top, batch * H);
            if ((long) batch * steps * spec.directions() > (1 << 24)) {
                // NB: gatherRows takes row numbers as floats, exact below 2^24
                throw new IllegalArgumentException("the last valid steps of " + batch + " sequences of " + steps
                        + " steps are beyond the rows gatherRows addresses exactly (2^24 = 16,777,216 rows of H):"
                        + " use smaller batches");
            }
            float[] idx = lastStepRows(batch, steps, lengths, spec.bidirectional());
            backend.write(idx, 0, rows, idx.length);
            backend.gatherRows(idx.length, H, y, rows, last);
            if (!sum) return last.slice(0, batch * W);
            backend.gemm(false, false, batch, H, W, 1f, last, merge, 0f, merged);
            return merged.slice(0, batch * H);
        }

        @Override
        public Tensor backward(int batch, Tensor dOut) {
            int H = spec.units(), W = spec.outputSize();
            if (trace == null) throw new IllegalStateException("backward without a training forward pass of " + spec);
            Tensor dy;
            RnnState dFinal = RnnState.NONE;
            if (returnSequences) {
                dy = dOut;
                if (sum) {   // d[y_fwd, y_rev] = dOut [I, I]: dOut (B*T, H) times merge^T (H, 2H)
                    backend.gemm(false, true, batch * steps, W, H, 1f, dOut, merge, 0f, dSeq);
                    dy = dSeq;
                }
            } else if (!spec.bidirectional()) {
                // the last (valid) step's output is the final hidden state, with or without lengths
                dy = null;
                if (dTop == null) {
                    dFinal = RnnState.of(dOut.slice(0, batch * H));
                } else {   // a stack's: the top layer's of (layers, B, H), 0 for the others (seen as (1, layers, B*H))
                    int L = spec.layers();
                    backend.lastStepBackward(1, L, batch * H, dOut, dTop);
                    dFinal = RnnState.of(dTop.slice(0, L * batch * H));
                }
            } else {
                Tensor dl = dOut;
                if (sum) {
                    backend.gemm(false, true, batch, W, H, 1f, dOut, merge, 0f, dLast);
                    dl = dLast;
                }
                backend.fill(dSeq.slice(0, batch * steps * W), 0f);
                backend.scatterRows(batch * spec.directions(), H, dl, rows, dSeq);
                dy = dSeq;
            }
            backend.rnnBackward(trace, dy, dFinal, dx, RnnState.NONE, g);
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
        public Tensor forward(int batch, Tensor in, int[] lengths, boolean training, long seed, long step) {
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
        public Tensor forward(int batch, Tensor x, int[] lengths, boolean training, long seed, long step) {
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
