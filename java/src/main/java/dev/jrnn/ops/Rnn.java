package dev.jrnn.ops;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import dev.jrnn.nn.Initializers;
import java.lang.foreign.MemorySegment;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One LSTM or GRU layer, usable on its own: a forward pass over a whole sequence from given
 * initial states, and a backward pass giving the input, initial-state and parameter gradients;
 * cuDNN's fused kernels (or, for relu cells, jrnn's own) on a {@link dev.jrnn.backend.GpuBackend GpuBackend}, the Vector API (or
 * the float64 reference) on the CPU. One layer, in one direction or both
 * ({@link RnnSpec#bidirectional()}: y (B, T, 2H), the forward direction's states in features
 * {@code [0, H)} and the reverse direction's in {@code [H, 2H)}; states (2, B, H), forward then
 * reverse; parameters the forward direction's block then the reverse's); stack layers by feeding
 * one's output to the next.
 *
 * <p>Sequences of different lengths: the forms taking {@code int[] lengths} run sequence b over
 * steps {@code [0, lengths[b])} only (PyTorch's {@code pack_padded_sequence}): its outputs past its
 * length are 0, {@code hy}/{@code cy} hold its state at its last valid step (the reverse
 * direction's at step 0), and the backward pass sends no gradient from its padding. {@code null}
 * lengths mean every sequence is T steps long.
 *
 * <p>Equations (gate order as cuDNN; {@code act} is tanh or relu):
 * <pre>
 *   LSTM  i = sigmoid(W_i x + R_i h + b_i)   f = sigmoid(W_f x + R_f h + b_f)
 *         g = act(W_g x + R_g h + b_g)       o = sigmoid(W_o x + R_o h + b_o)
 *         c' = f * c + i * g                 h' = o * act(c')
 *   GRU   r = sigmoid(W_r x + b_Wr + R_r h + b_Rr)   z = sigmoid(W_z x + b_Wz + R_z h + b_Rz)
 *         n = act(W_n x + b_Wn + r * (R_n h + b_Rn))  h' = (1 - z) * n + z * h
 * </pre>
 * Parameters are one flat float array in the canonical layout of {@link RnnSpec}: W (G*H, F),
 * then R (G*H, H), then the bias (LSTM: b (G*H); GRU: b_W (G*H) then b_R (G*H)), all row-major
 * and in gate order (LSTM i, f, g, o; GRU r, z, n). That is PyTorch's {@code weight_ih_l0},
 * {@code weight_hh_l0} and, for GRU, {@code bias_ih_l0}, {@code bias_hh_l0}; an LSTM's single
 * bias is PyTorch's {@code bias_ih_l0 + bias_hh_l0}.
 *
 * <p>Shapes, all row-major and batch-major: input {@code x} (B, T, F); outputs {@code y}
 * (B, T, H), the hidden state after every step; states {@code hx}, {@code cx}, {@code hy},
 * {@code cy} (B, H). Every argument's length must equal its shape's product exactly.
 *
 * <p>Each {@code forward}/{@code backward} pair comes in four forms with the same arguments: on
 * the backend's {@link Tensor}s (no copies; on a GPU backend these may wrap the caller's device
 * buffers), and on host {@code float[]}, {@code FloatBuffer} (its remaining elements, in the
 * buffer's byte order; position and limit are not moved) or {@code MemorySegment} (native-order
 * floats, all of the segment), which are copied to the backend and back. {@code null} for an
 * initial state means zeros; {@code null} for an output means it is not wanted.
 *
 * <p>Ownership: the layer owns its parameter and gradient tensors and frees them on
 * {@link #close()}; it never closes the backend or anything the caller passed. A {@link Saved}
 * from {@code forward} owns what the backward pass needs (backend memory) and must be closed
 * (try-with-resources); for inference use {@code infer}, which keeps nothing.
 * Thread safety: none; use a layer, like its backend, from one thread at a time.
 *
 * <pre>{@code
 * try (Backend cpu = Backends.cpu();
 *      Rnn lstm = Rnn.lstm(cpu, 28, 64);
 *      Rnn.Saved saved = lstm.forward(batch, 28, x, null, null, y, hy, cy)) {
 *     lstm.backward(saved, dy, null, null, dx, dhx, dcx);   // parameter gradients accumulate
 *     float[] dParams = lstm.getGradients();
 * }
 * }</pre>
 */
public final class Rnn implements AutoCloseable {
    private final Backend backend;
    private final RnnSpec spec;
    private final Tensor params;   // (paramCount) canonical
    private final Tensor grads;    // (paramCount) canonical, accumulated by backward
    private boolean closed;

    private Rnn(Backend backend, RnnSpec spec, float[] initial) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.spec = Objects.requireNonNull(spec, "spec");
        this.params = backend.allocate(spec.paramCount());
        try {
            this.grads = backend.allocate(spec.paramCount());
            backend.write(initial, 0, params, initial.length);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /**
     * An LSTM layer with tanh cells, initialised as Keras does with seed 0.
     *
     * @param backend   the backend that runs it (the layer does not close it)
     * @param inputSize F, features per timestep
     * @param units     H, hidden units
     * @return a new layer; close it to free its parameters
     * @throws IllegalArgumentException when a size is not positive
     */
    public static Rnn lstm(Backend backend, int inputSize, int units) {
        return create(backend, new RnnSpec(RnnSpec.Cell.LSTM, inputSize, units, Activation.TANH), 0L);
    }

    /**
     * A GRU layer (reset gate after the recurrent product, two biases) with tanh cells,
     * initialised as Keras does with seed 0.
     *
     * @param backend   the backend that runs it (the layer does not close it)
     * @param inputSize F, features per timestep
     * @param units     H, hidden units
     * @return a new layer; close it to free its parameters
     * @throws IllegalArgumentException when a size is not positive
     */
    public static Rnn gru(Backend backend, int inputSize, int units) {
        return create(backend, new RnnSpec(RnnSpec.Cell.GRU, inputSize, units, Activation.TANH), 0L);
    }

    /**
     * A layer of any cell, size and activation, initialised as Keras does: Glorot-uniform W,
     * orthogonal R, zero biases and an LSTM forget-gate bias of 1, drawn from {@code seed} (the
     * same values on every backend, and the same as this layer gets first in a
     * {@link dev.jrnn.nn.Sequential Sequential} model with that seed).
     *
     * @param backend the backend that runs it (the layer does not close it)
     * @param spec    cell, input size, units and cell activation
     * @param seed    the initialisation seed
     * @return a new layer; close it to free its parameters
     * @throws IllegalArgumentException when {@code spec} has more than one layer
     */
    public static Rnn create(Backend backend, RnnSpec spec, long seed) {
        // NB: a bidirectional spec is one layer in two directions: allowed
        if (spec.layers() != 1) {
            throw new IllegalArgumentException("an Rnn is one layer, found layers=" + spec.layers()
                    + ": feed one Rnn's output to the next, or use a Sequential model (its consecutive"
                    + " recurrent layers run as one stacked op)");
        }
        return new Rnn(backend, spec, Initializers.initialParameters(spec, seed));
    }

    /**
     * The layer's cell, sizes and activation.
     *
     * @return the spec the layer was created with
     */
    public RnnSpec spec() {
        return spec;
    }

    /**
     * The backend that runs the layer.
     *
     * @return the backend given at creation
     */
    public Backend backend() {
        return backend;
    }

    /**
     * Number of parameters, {@link RnnSpec#paramCount()}: G*H*F + G*H*H + G*H (LSTM) or
     * + 2*G*H (GRU), with G = 4 for LSTM and 3 for GRU.
     *
     * @return the length of the parameter and gradient arrays
     */
    public int paramCount() {
        return spec.paramCount();
    }

    /**
     * The parameters as a tensor of the backend, canonical layout (see the class comment), owned
     * by the layer: hand it to backend ops such as {@link Backend#adam}. Valid until {@link #close()}.
     *
     * @return the live parameter tensor, {@link #paramCount()} floats
     */
    public Tensor parameters() {
        open();
        return params;
    }

    /**
     * The accumulated parameter gradients as a tensor of the backend, canonical layout, owned by
     * the layer. Valid until {@link #close()}.
     *
     * @return the live gradient tensor, {@link #paramCount()} floats
     */
    public Tensor gradients() {
        open();
        return grads;
    }

    /**
     * A copy of the parameters.
     *
     * @return {@link #paramCount()} floats in the canonical layout
     */
    public float[] getParameters() {
        open();
        float[] out = new float[spec.paramCount()];
        backend.read(params, out, 0, out.length);
        return out;
    }

    /**
     * Replaces the parameters.
     *
     * @param canonical {@link #paramCount()} floats in the canonical layout (see the class comment)
     * @throws IllegalArgumentException when the length is not {@link #paramCount()}
     */
    public void setParameters(float[] canonical) {
        open();
        check("setParameters canonical", canonical.length, spec.paramCount(), "the layer's paramCount()");
        backend.write(canonical, 0, params, canonical.length);
    }

    /**
     * A copy of the parameter gradients accumulated by every {@code backward} since the layer was
     * created or {@link #zeroGradients()} was last called.
     *
     * @return {@link #paramCount()} floats in the canonical layout
     */
    public float[] getGradients() {
        open();
        float[] out = new float[spec.paramCount()];
        backend.read(grads, out, 0, out.length);
        return out;
    }

    /** Sets the accumulated parameter gradients to zero. */
    public void zeroGradients() {
        open();
        backend.fill(grads, 0f);
    }

    // ---- on the backend's tensors ------------------------------------------------------------

    /**
     * Runs the layer over a whole sequence, on tensors of this layer's backend.
     *
     * @param batch B, sequences in the batch (at least 1)
     * @param steps T, timesteps (at least 1)
     * @param x     (B, T, F) input; must stay unchanged until the backward pass
     * @param hx    (B, H) initial hidden state, or {@code null} for zeros; must stay unchanged until backward
     * @param cx    (B, H) initial cell state (LSTM only), or {@code null} for zeros; must stay unchanged until backward
     * @param y     (B, T, H) receives the hidden state after every step; must stay unchanged until backward
     * @param hy    (B, H) receives the final hidden state (= {@code y[:, T-1, :]}), or {@code null}
     * @param cy    (B, H) receives the final cell state (LSTM only), or {@code null}
     * @return what the backward pass needs; close it when done
     * @throws IllegalArgumentException when a size differs from its shape, or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell (relu on a GPU under -Djrnn.cuda.rnnImpl=cudnn)
     */
    public Saved forward(int batch, int steps, Tensor x, Tensor hx, Tensor cx, Tensor y, Tensor hy, Tensor cy) {
        return forward(batch, steps, null, x, hx, cx, y, hy, cy);
    }

    /**
     * {@link #forward(int, int, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) forward} over
     * sequences of the given lengths (see the class comment).
     *
     * @param batch   B, sequences in the batch (at least 1)
     * @param steps   T, timesteps (at least 1)
     * @param lengths (B) lengths in [1, T], or {@code null} for all T; copied
     * @param x       (B, T, F) input; must stay unchanged until the backward pass
     * @param hx      (D, B, H) initial hidden state, or {@code null} for zeros
     * @param cx      (D, B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y       (B, T, D*H) receives the hidden states after every step, 0 past a length
     * @param hy      (D, B, H) receives the states at the last valid steps, or {@code null}
     * @param cy      (D, B, H) receives the final cell states (LSTM only), or {@code null}
     * @return what the backward pass needs; close it when done
     * @throws IllegalArgumentException when a size differs from its shape, a length is outside
     *         [1, T], or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell or lengths
     */
    public Saved forward(int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx, Tensor y, Tensor hy,
                         Tensor cy) {
        open();
        Shapes s = shapes(batch, steps, "forward");
        RnnSpec.checkLengths("forward", batch, steps, lengths);
        s.forwardArgs(x, hx, cx, y, hy, cy);
        RnnTrace trace = backend.rnnForward(spec, batch, steps, lengths, x, RnnState.of(hx, cx), params, y,
                RnnState.of(hy, cy));
        return new Saved(this, batch, steps, trace, List.of());
    }

    /**
     * Back-propagates through the forward pass {@code saved} came from, on tensors of this layer's
     * backend; the parameter gradients are added to {@link #gradients()}. One backward per
     * forward.
     *
     * @param saved what {@code forward} returned (not closed, not used by a backward yet)
     * @param dy    (B, T, H) loss gradient with respect to {@code y}, or {@code null} for zeros (a loss on the
     *              final states only); may be overwritten (used as scratch)
     * @param dhy   (B, H) loss gradient with respect to {@code hy}, or {@code null} for zeros
     * @param dcy   (B, H) loss gradient with respect to {@code cy} (LSTM only), or {@code null} for zeros
     * @param dx    (B, T, F) receives the gradient with respect to {@code x}, or {@code null}
     * @param dhx   (B, H) receives the gradient with respect to {@code hx}, or {@code null}
     * @param dcx   (B, H) receives the gradient with respect to {@code cx} (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a size differs from its shape, or a cell state is given for a GRU
     * @throws IllegalStateException when {@code saved} is closed, already used, or from another layer
     */
    public void backward(Saved saved, Tensor dy, Tensor dhy, Tensor dcy, Tensor dx, Tensor dhx, Tensor dcx) {
        open();
        Shapes s = claim(saved);
        s.backwardArgs(dy, dhy, dcy, dx, dhx, dcx);
        saved.used = true;   // NB: only now: an argument error above leaves the forward pass usable
        backend.rnnBackward(saved.trace, dy, RnnState.of(dhy, dcy), dx, RnnState.of(dhx, dcx), grads);
    }

    /**
     * Inference: {@link #forward(int, int, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) forward}
     * without keeping anything for a backward pass (nothing to close; on a GPU, cuDNN's inference
     * mode, which needs no reserve).
     *
     * @param batch B, sequences in the batch (at least 1)
     * @param steps T, timesteps (at least 1)
     * @param x     (B, T, F) input
     * @param hx    (B, H) initial hidden state, or {@code null} for zeros
     * @param cx    (B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y     (B, T, H) receives the hidden state after every step
     * @param hy    (B, H) receives the final hidden state, or {@code null}
     * @param cy    (B, H) receives the final cell state (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a size differs from its shape, or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell (relu on a GPU under -Djrnn.cuda.rnnImpl=cudnn)
     */
    public void infer(int batch, int steps, Tensor x, Tensor hx, Tensor cx, Tensor y, Tensor hy, Tensor cy) {
        infer(batch, steps, null, x, hx, cx, y, hy, cy);
    }

    /**
     * {@link #infer(int, int, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) infer} over sequences
     * of the given lengths (see the class comment).
     *
     * @param batch   B, sequences in the batch (at least 1)
     * @param steps   T, timesteps (at least 1)
     * @param lengths (B) lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F) input
     * @param hx      (D, B, H) initial hidden state, or {@code null} for zeros
     * @param cx      (D, B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y       (B, T, D*H) receives the hidden states after every step, 0 past a length
     * @param hy      (D, B, H) receives the states at the last valid steps, or {@code null}
     * @param cy      (D, B, H) receives the final cell states (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a size differs from its shape, a length is outside
     *         [1, T], or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell or lengths
     */
    public void infer(int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx, Tensor y, Tensor hy,
                      Tensor cy) {
        open();
        Shapes s = shapes(batch, steps, "infer");
        RnnSpec.checkLengths("infer", batch, steps, lengths);
        s.forwardArgs(x, hx, cx, y, hy, cy);
        backend.rnnInfer(spec, batch, steps, lengths, x, RnnState.of(hx, cx), params, y, RnnState.of(hy, cy));
    }

    /**
     * Inference on Java arrays: {@link #forward(int, int, float[], float[], float[], float[], float[], float[])
     * forward} without keeping anything for a backward pass (nothing to close).
     *
     * @param batch B, sequences in the batch (at least 1)
     * @param steps T, timesteps (at least 1)
     * @param x     (B, T, F) input
     * @param hx    (B, H) initial hidden state, or {@code null} for zeros
     * @param cx    (B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y     (B, T, H) receives the hidden state after every step
     * @param hy    (B, H) receives the final hidden state, or {@code null}
     * @param cy    (B, H) receives the final cell state (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a length differs from its shape, or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell (relu on a GPU under -Djrnn.cuda.rnnImpl=cudnn)
     */
    public void infer(int batch, int steps, float[] x, float[] hx, float[] cx, float[] y, float[] hy, float[] cy) {
        forwardHost(batch, steps, null, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y), HostData.of(hy),
                HostData.of(cy), false);
    }

    /**
     * Inference on NIO buffers: {@link #forward(int, int, FloatBuffer, FloatBuffer, FloatBuffer,
     * FloatBuffer, FloatBuffer, FloatBuffer) forward} without keeping anything for a backward pass.
     *
     * @param batch B, sequences in the batch (at least 1)
     * @param steps T, timesteps (at least 1)
     * @param x     (B, T, F) input
     * @param hx    (B, H) initial hidden state, or {@code null} for zeros
     * @param cx    (B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y     (B, T, H) receives the hidden state after every step
     * @param hy    (B, H) receives the final hidden state, or {@code null}
     * @param cy    (B, H) receives the final cell state (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a length differs from its shape, an output is read-only,
     *         or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell (relu on a GPU under -Djrnn.cuda.rnnImpl=cudnn)
     */
    public void infer(int batch, int steps, FloatBuffer x, FloatBuffer hx, FloatBuffer cx, FloatBuffer y,
                      FloatBuffer hy, FloatBuffer cy) {
        forwardHost(batch, steps, null, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y), HostData.of(hy),
                HostData.of(cy), false);
    }

    /**
     * Inference on memory segments: {@link #forward(int, int, MemorySegment, MemorySegment,
     * MemorySegment, MemorySegment, MemorySegment, MemorySegment) forward} without keeping anything
     * for a backward pass.
     *
     * @param batch B, sequences in the batch (at least 1)
     * @param steps T, timesteps (at least 1)
     * @param x     (B, T, F) input
     * @param hx    (B, H) initial hidden state, or {@code null} for zeros
     * @param cx    (B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y     (B, T, H) receives the hidden state after every step
     * @param hy    (B, H) receives the final hidden state, or {@code null}
     * @param cy    (B, H) receives the final cell state (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a size differs from its shape, an output is read-only,
     *         or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed, or a segment's arena is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell (relu on a GPU under -Djrnn.cuda.rnnImpl=cudnn)
     */
    public void infer(int batch, int steps, MemorySegment x, MemorySegment hx, MemorySegment cx, MemorySegment y,
                      MemorySegment hy, MemorySegment cy) {
        forwardHost(batch, steps, null, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y), HostData.of(hy),
                HostData.of(cy), false);
    }

    // ---- on host memory ----------------------------------------------------------------------

    /**
     * {@link #forward(int, int, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) forward} on Java
     * arrays, copied to the backend and back; the arrays may be changed once this returns.
     *
     * @param batch B, sequences in the batch (at least 1)
     * @param steps T, timesteps (at least 1)
     * @param x     (B, T, F) input
     * @param hx    (B, H) initial hidden state, or {@code null} for zeros
     * @param cx    (B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y     (B, T, H) receives the hidden state after every step
     * @param hy    (B, H) receives the final hidden state, or {@code null}
     * @param cy    (B, H) receives the final cell state (LSTM only), or {@code null}
     * @return what the backward pass needs; close it when done
     * @throws IllegalArgumentException when a length differs from its shape, or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell (relu on a GPU under -Djrnn.cuda.rnnImpl=cudnn)
     */
    public Saved forward(int batch, int steps, float[] x, float[] hx, float[] cx, float[] y, float[] hy, float[] cy) {
        return forwardHost(batch, steps, null, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), true);
    }

    /**
     * {@link #backward(Saved, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) backward} on Java
     * arrays; {@code dy} is not changed.
     *
     * @param saved what {@code forward} returned (not closed, not used by a backward yet)
     * @param dy    (B, T, H) loss gradient with respect to {@code y}, or {@code null} for zeros (a loss on the final states only)
     * @param dhy   (B, H) loss gradient with respect to {@code hy}, or {@code null} for zeros
     * @param dcy   (B, H) loss gradient with respect to {@code cy} (LSTM only), or {@code null} for zeros
     * @param dx    (B, T, F) receives the gradient with respect to {@code x}, or {@code null}
     * @param dhx   (B, H) receives the gradient with respect to {@code hx}, or {@code null}
     * @param dcx   (B, H) receives the gradient with respect to {@code cx} (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a length differs from its shape, or a cell state is given for a GRU
     * @throws IllegalStateException when {@code saved} is closed, already used, or from another layer
     */
    public void backward(Saved saved, float[] dy, float[] dhy, float[] dcy, float[] dx, float[] dhx, float[] dcx) {
        backwardHost(saved, HostData.of(dy), HostData.of(dhy), HostData.of(dcy), HostData.of(dx), HostData.of(dhx),
                HostData.of(dcx));
    }

    /**
     * {@link #forward(int, int, float[], float[], float[], float[], float[], float[]) forward} on NIO
     * buffers: each buffer's remaining elements, read and written with absolute gets and puts in
     * the buffer's byte order (positions and limits are not moved); heap or direct.
     *
     * @param batch B, sequences in the batch (at least 1)
     * @param steps T, timesteps (at least 1)
     * @param x     (B, T, F) input
     * @param hx    (B, H) initial hidden state, or {@code null} for zeros
     * @param cx    (B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y     (B, T, H) receives the hidden state after every step
     * @param hy    (B, H) receives the final hidden state, or {@code null}
     * @param cy    (B, H) receives the final cell state (LSTM only), or {@code null}
     * @return what the backward pass needs; close it when done
     * @throws IllegalArgumentException when a length differs from its shape, an output is read-only,
     *         or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell (relu on a GPU under -Djrnn.cuda.rnnImpl=cudnn)
     */
    public Saved forward(int batch, int steps, FloatBuffer x, FloatBuffer hx, FloatBuffer cx, FloatBuffer y,
                         FloatBuffer hy, FloatBuffer cy) {
        return forwardHost(batch, steps, null, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), true);
    }

    /**
     * {@link #backward(Saved, float[], float[], float[], float[], float[], float[]) backward} on NIO
     * buffers (remaining elements, buffer byte order, positions and limits not moved).
     *
     * @param saved what {@code forward} returned (not closed, not used by a backward yet)
     * @param dy    (B, T, H) loss gradient with respect to {@code y}, or {@code null} for zeros (a loss on the final states only)
     * @param dhy   (B, H) loss gradient with respect to {@code hy}, or {@code null} for zeros
     * @param dcy   (B, H) loss gradient with respect to {@code cy} (LSTM only), or {@code null} for zeros
     * @param dx    (B, T, F) receives the gradient with respect to {@code x}, or {@code null}
     * @param dhx   (B, H) receives the gradient with respect to {@code hx}, or {@code null}
     * @param dcx   (B, H) receives the gradient with respect to {@code cx} (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a length differs from its shape, an output is read-only,
     *         or a cell state is given for a GRU
     * @throws IllegalStateException when {@code saved} is closed, already used, or from another layer
     */
    public void backward(Saved saved, FloatBuffer dy, FloatBuffer dhy, FloatBuffer dcy, FloatBuffer dx,
                         FloatBuffer dhx, FloatBuffer dcx) {
        backwardHost(saved, HostData.of(dy), HostData.of(dhy), HostData.of(dcy), HostData.of(dx), HostData.of(dhx),
                HostData.of(dcx));
    }

    /**
     * {@link #forward(int, int, float[], float[], float[], float[], float[], float[]) forward} on
     * memory segments (heap or native), each holding exactly its shape's floats in native byte order.
     *
     * @param batch B, sequences in the batch (at least 1)
     * @param steps T, timesteps (at least 1)
     * @param x     (B, T, F) input
     * @param hx    (B, H) initial hidden state, or {@code null} for zeros
     * @param cx    (B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y     (B, T, H) receives the hidden state after every step
     * @param hy    (B, H) receives the final hidden state, or {@code null}
     * @param cy    (B, H) receives the final cell state (LSTM only), or {@code null}
     * @return what the backward pass needs; close it when done
     * @throws IllegalArgumentException when a size differs from its shape, an output is read-only,
     *         or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed, or a segment's arena is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell (relu on a GPU under -Djrnn.cuda.rnnImpl=cudnn)
     */
    public Saved forward(int batch, int steps, MemorySegment x, MemorySegment hx, MemorySegment cx, MemorySegment y,
                         MemorySegment hy, MemorySegment cy) {
        return forwardHost(batch, steps, null, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), true);
    }

    /**
     * {@link #backward(Saved, float[], float[], float[], float[], float[], float[]) backward} on
     * memory segments (native-order floats, exactly the shape's size).
     *
     * @param saved what {@code forward} returned (not closed, not used by a backward yet)
     * @param dy    (B, T, H) loss gradient with respect to {@code y}, or {@code null} for zeros (a loss on the final states only)
     * @param dhy   (B, H) loss gradient with respect to {@code hy}, or {@code null} for zeros
     * @param dcy   (B, H) loss gradient with respect to {@code cy} (LSTM only), or {@code null} for zeros
     * @param dx    (B, T, F) receives the gradient with respect to {@code x}, or {@code null}
     * @param dhx   (B, H) receives the gradient with respect to {@code hx}, or {@code null}
     * @param dcx   (B, H) receives the gradient with respect to {@code cx} (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a size differs from its shape, an output is read-only,
     *         or a cell state is given for a GRU
     * @throws IllegalStateException when {@code saved} is closed, already used, or from another layer
     */
    public void backward(Saved saved, MemorySegment dy, MemorySegment dhy, MemorySegment dcy, MemorySegment dx,
                         MemorySegment dhx, MemorySegment dcx) {
        backwardHost(saved, HostData.of(dy), HostData.of(dhy), HostData.of(dcy), HostData.of(dx), HostData.of(dhx),
                HostData.of(dcx));
    }

    // ---- with per-sample lengths, on host memory ----------------------------------------------

    /**
     * {@link #forward(int, int, float[], float[], float[], float[], float[], float[]) forward} on
     * Java arrays over sequences of the given lengths (see the class comment).
     *
     * @param batch   B, sequences in the batch (at least 1)
     * @param steps   T, timesteps (at least 1)
     * @param lengths (B) lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F) input
     * @param hx      (D, B, H) initial hidden state, or {@code null} for zeros
     * @param cx      (D, B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y       (B, T, D*H) receives the hidden states after every step, 0 past a length
     * @param hy      (D, B, H) receives the states at the last valid steps, or {@code null}
     * @param cy      (D, B, H) receives the final cell states (LSTM only), or {@code null}
     * @return what the backward pass needs; close it when done
     * @throws IllegalArgumentException when a length differs from its shape, a sequence length is
     *         outside [1, T], or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell or lengths
     */
    public Saved forward(int batch, int steps, int[] lengths, float[] x, float[] hx, float[] cx, float[] y, float[] hy,
                         float[] cy) {
        return forwardHost(batch, steps, lengths, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), true);
    }

    /**
     * {@link #infer(int, int, float[], float[], float[], float[], float[], float[]) infer} on Java
     * arrays over sequences of the given lengths (see the class comment).
     *
     * @param batch   B, sequences in the batch (at least 1)
     * @param steps   T, timesteps (at least 1)
     * @param lengths (B) lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F) input
     * @param hx      (D, B, H) initial hidden state, or {@code null} for zeros
     * @param cx      (D, B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y       (B, T, D*H) receives the hidden states after every step, 0 past a length
     * @param hy      (D, B, H) receives the states at the last valid steps, or {@code null}
     * @param cy      (D, B, H) receives the final cell states (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a length differs from its shape, a sequence length is
     *         outside [1, T], or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell or lengths
     */
    public void infer(int batch, int steps, int[] lengths, float[] x, float[] hx, float[] cx, float[] y, float[] hy,
                      float[] cy) {
        forwardHost(batch, steps, lengths, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), false);
    }

    /**
     * {@link #forward(int, int, FloatBuffer, FloatBuffer, FloatBuffer, FloatBuffer, FloatBuffer,
     * FloatBuffer) forward} on NIO buffers over sequences of the given lengths.
     *
     * @param batch   B, sequences in the batch (at least 1)
     * @param steps   T, timesteps (at least 1)
     * @param lengths (B) lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F) input
     * @param hx      (D, B, H) initial hidden state, or {@code null} for zeros
     * @param cx      (D, B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y       (B, T, D*H) receives the hidden states after every step, 0 past a length
     * @param hy      (D, B, H) receives the states at the last valid steps, or {@code null}
     * @param cy      (D, B, H) receives the final cell states (LSTM only), or {@code null}
     * @return what the backward pass needs; close it when done
     * @throws IllegalArgumentException when a length differs from its shape, a sequence length is
     *         outside [1, T], an output is read-only, or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell or lengths
     */
    public Saved forward(int batch, int steps, int[] lengths, FloatBuffer x, FloatBuffer hx, FloatBuffer cx,
                         FloatBuffer y, FloatBuffer hy, FloatBuffer cy) {
        return forwardHost(batch, steps, lengths, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), true);
    }

    /**
     * {@link #infer(int, int, FloatBuffer, FloatBuffer, FloatBuffer, FloatBuffer, FloatBuffer,
     * FloatBuffer) infer} on NIO buffers over sequences of the given lengths.
     *
     * @param batch   B, sequences in the batch (at least 1)
     * @param steps   T, timesteps (at least 1)
     * @param lengths (B) lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F) input
     * @param hx      (D, B, H) initial hidden state, or {@code null} for zeros
     * @param cx      (D, B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y       (B, T, D*H) receives the hidden states after every step, 0 past a length
     * @param hy      (D, B, H) receives the states at the last valid steps, or {@code null}
     * @param cy      (D, B, H) receives the final cell states (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a length differs from its shape, a sequence length is
     *         outside [1, T], an output is read-only, or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell or lengths
     */
    public void infer(int batch, int steps, int[] lengths, FloatBuffer x, FloatBuffer hx, FloatBuffer cx,
                      FloatBuffer y, FloatBuffer hy, FloatBuffer cy) {
        forwardHost(batch, steps, lengths, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), false);
    }

    /**
     * {@link #forward(int, int, MemorySegment, MemorySegment, MemorySegment, MemorySegment,
     * MemorySegment, MemorySegment) forward} on memory segments over sequences of the given lengths.
     *
     * @param batch   B, sequences in the batch (at least 1)
     * @param steps   T, timesteps (at least 1)
     * @param lengths (B) lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F) input
     * @param hx      (D, B, H) initial hidden state, or {@code null} for zeros
     * @param cx      (D, B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y       (B, T, D*H) receives the hidden states after every step, 0 past a length
     * @param hy      (D, B, H) receives the states at the last valid steps, or {@code null}
     * @param cy      (D, B, H) receives the final cell states (LSTM only), or {@code null}
     * @return what the backward pass needs; close it when done
     * @throws IllegalArgumentException when a size differs from its shape, a sequence length is
     *         outside [1, T], an output is read-only, or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed, or a segment's arena is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell or lengths
     */
    public Saved forward(int batch, int steps, int[] lengths, MemorySegment x, MemorySegment hx, MemorySegment cx,
                         MemorySegment y, MemorySegment hy, MemorySegment cy) {
        return forwardHost(batch, steps, lengths, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), true);
    }

    /**
     * {@link #infer(int, int, MemorySegment, MemorySegment, MemorySegment, MemorySegment,
     * MemorySegment, MemorySegment) infer} on memory segments over sequences of the given lengths.
     *
     * @param batch   B, sequences in the batch (at least 1)
     * @param steps   T, timesteps (at least 1)
     * @param lengths (B) lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F) input
     * @param hx      (D, B, H) initial hidden state, or {@code null} for zeros
     * @param cx      (D, B, H) initial cell state (LSTM only), or {@code null} for zeros
     * @param y       (B, T, D*H) receives the hidden states after every step, 0 past a length
     * @param hy      (D, B, H) receives the states at the last valid steps, or {@code null}
     * @param cy      (D, B, H) receives the final cell states (LSTM only), or {@code null}
     * @throws IllegalArgumentException when a size differs from its shape, a sequence length is
     *         outside [1, T], an output is read-only, or a cell state is given for a GRU
     * @throws IllegalStateException when the layer is closed, or a segment's arena is closed
     * @throws UnsupportedOperationException when the backend cannot run this cell or lengths
     */
    public void infer(int batch, int steps, int[] lengths, MemorySegment x, MemorySegment hx, MemorySegment cx,
                      MemorySegment y, MemorySegment hy, MemorySegment cy) {
        forwardHost(batch, steps, lengths, HostData.of(x), HostData.of(hx), HostData.of(cx), HostData.of(y),
                HostData.of(hy), HostData.of(cy), false);
    }

    /**
     * The host forms of forward ({@code training}: returns what backward needs) and infer (no
     * reserve, everything freed, returns {@code null}).
     */
    private Saved forwardHost(int batch, int steps, int[] lengths, HostData x, HostData hx, HostData cx, HostData y,
                              HostData hy, HostData cy, boolean training) {
        open();
        Shapes s = shapes(batch, steps, training ? "forward" : "infer");
        RnnSpec.checkLengths(training ? "forward" : "infer", batch, steps, lengths);
        s.forwardArgs(x, hx, cx, y, hy, cy);
        List<Tensor> owned = new ArrayList<>();
        try {
            Tensor X = upload(x, s.x, owned), HX = upload(hx, s.h, owned), CX = upload(cx, s.h, owned);
            Tensor Y = alloc(s.y, owned);
            RnnTrace trace = null;
            try (Tensor HY = hy == null ? null : backend.allocate(s.h); Tensor CY = cy == null ? null : backend.allocate(s.h)) {
                if (training) {
                    trace = backend.rnnForward(spec, batch, steps, lengths, X, RnnState.of(HX, CX), params, Y,
                            RnnState.of(HY, CY));
                } else {
                    backend.rnnInfer(spec, batch, steps, lengths, X, RnnState.of(HX, CX), params, Y, RnnState.of(HY, CY));
                }
                y.download(backend, Y);
                if (hy != null) hy.download(backend, HY);
                if (cy != null) cy.download(backend, CY);
            } catch (RuntimeException e) {
                if (trace != null) trace.close();
                throw e;
            }
            if (training) return new Saved(this, batch, steps, trace, owned);
            closeAll(owned, null);
            return null;
        } catch (RuntimeException e) {
            closeAll(owned, e);
            throw e;
        }
    }

    private void backwardHost(Saved saved, HostData dy, HostData dhy, HostData dcy, HostData dx, HostData dhx,
                              HostData dcx) {
        open();
        Shapes s = claim(saved);
        s.backwardArgs(dy, dhy, dcy, dx, dhx, dcx);
        List<Tensor> temp = new ArrayList<>();
        RuntimeException failure = null;
        try {
            Tensor DY = upload(dy, s.y, temp), DHY = upload(dhy, s.h, temp), DCY = upload(dcy, s.h, temp);
            Tensor DX = dx == null ? null : alloc(s.x, temp);
            Tensor DHX = dhx == null ? null : alloc(s.h, temp);
            Tensor DCX = dcx == null ? null : alloc(s.h, temp);
            saved.used = true;
            backend.rnnBackward(saved.trace, DY, RnnState.of(DHY, DCY), DX, RnnState.of(DHX, DCX), grads);
            if (dx != null) dx.download(backend, DX);
            if (dhx != null) dhx.download(backend, DHX);
            if (dcx != null) dcx.download(backend, DCX);
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            closeAll(temp, failure);
        }
    }

    private Tensor upload(HostData d, int n, List<Tensor> owned) {
        if (d == null) return null;
        Tensor t = alloc(n, owned);
        d.upload(backend, t);
        return t;
    }

    private Tensor alloc(int n, List<Tensor> owned) {
        Tensor t = backend.allocate(n);
        owned.add(t);
        return t;
    }

    private static void closeAll(List<Tensor> tensors, RuntimeException failure) {
        for (int i = tensors.size() - 1; i >= 0; i--) {
            try {
                tensors.get(i).close();
            } catch (RuntimeException e) {
                if (failure != null) failure.addSuppressed(e);
                else throw e;
            }
        }
    }

    /** Checks that {@code saved} can be back-propagated; {@link Saved#used} is set once the arguments pass too. */
    private Shapes claim(Saved saved) {
        Objects.requireNonNull(saved, "saved");
        if (saved.layer != this) throw new IllegalStateException("backward: this Saved came from another layer's forward pass");
        if (saved.closed) throw new IllegalStateException("backward: the Saved is closed; call backward before closing it");
        if (saved.used) {
            throw new IllegalStateException("backward: this forward pass was already back-propagated once"
                    + " (what it saved is consumed); run forward again");
        }
        return shapes(saved.batch, saved.steps, "backward");
    }

    private Shapes shapes(int batch, int steps, String op) {
        if (batch <= 0 || steps <= 0) {
            throw new IllegalArgumentException(op + ": batch and steps must be positive, found batch=" + batch + ", steps=" + steps);
        }
        long x = (long) batch * steps * spec.inputSize(), y = (long) batch * steps * spec.outputSize();
        long reserve = (long) batch * spec.reservePerSample(steps);
        if (x > Integer.MAX_VALUE || y > Integer.MAX_VALUE || reserve > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": batch " + batch + " x steps " + steps + " is too large for one call"
                    + " (a tensor would exceed 2^31 floats); split the batch");
        }
        return new Shapes(op, batch, steps, (int) x, (int) y, spec.directions() * batch * spec.units());
    }

    private void open() {
        if (closed) throw new IllegalStateException(spec.cell() + " layer is closed");
    }

    private static void check(String what, long found, long expected, String shape) {
        if (found != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " floats (" + shape + "), found " + found);
        }
    }

    /** The element counts of one call's arguments, and their checks. */
    private final class Shapes {
        final String op;
        final int batch, steps, x, y, h;

        Shapes(String op, int batch, int steps, int x, int y, int h) {
            this.op = op;
            this.batch = batch;
            this.steps = steps;
            this.x = x;
            this.y = y;
            this.h = h;
        }

        int count(char kind) {
            return kind == 'x' ? x : kind == 'y' ? y : h;
        }

        String shape(char kind) {
            if (kind == 'x') return "(B, T, F) = (" + batch + ", " + steps + ", " + spec.inputSize() + ")";
            if (spec.bidirectional()) {
                if (kind == 'y') return "(B, T, 2H) = (" + batch + ", " + steps + ", " + spec.outputSize() + ")";
                return "(2, B, H) = (2, " + batch + ", " + spec.units() + ")";
            }
            if (kind == 'y') return "(B, T, H) = (" + batch + ", " + steps + ", " + spec.units() + ")";
            return "(B, H) = (" + batch + ", " + spec.units() + ")";
        }

        /** Checks a forward pass's arguments: inputs x, hx, cx and outputs y, hy, cy (tensors or host data). */
        void forwardArgs(Object x, Object hx, Object cx, Object y, Object hy, Object cy) {
            arg("x", x, 'x', true, false);
            arg("hx", hx, 'h', false, false);
            cell("cx", cx);
            arg("cx", cx, 'h', false, false);
            arg("y", y, 'y', true, true);
            arg("hy", hy, 'h', false, true);
            cell("cy", cy);
            arg("cy", cy, 'h', false, true);
        }

        /** Checks a backward pass's arguments: inputs dy, dhy, dcy and outputs dx, dhx, dcx. */
        void backwardArgs(Object dy, Object dhy, Object dcy, Object dx, Object dhx, Object dcx) {
            arg("dy", dy, 'y', false, false);
            arg("dhy", dhy, 'h', false, false);
            cell("dcy", dcy);
            arg("dcy", dcy, 'h', false, false);
            arg("dx", dx, 'x', false, true);
            arg("dhx", dhx, 'h', false, true);
            cell("dcx", dcx);
            arg("dcx", dcx, 'h', false, true);
        }

        private void arg(String name, Object a, char kind, boolean required, boolean output) {
            if (a instanceof HostData d) host(name, d, kind, required, output);
            else tensor(name, (Tensor) a, kind, required);
        }

        void cell(String name, Object arg) {
            if (arg != null && spec.cell() == RnnSpec.Cell.GRU) {
                throw new IllegalArgumentException(op + " " + name + ": a GRU has no cell state; pass null");
            }
        }

        void tensor(String name, Tensor t, char kind, boolean required) {
            if (t == null) {
                if (required) throw new IllegalArgumentException(op + " " + name + ": required, found null");
                return;
            }
            check(op + " " + name, t.size(), count(kind), shape(kind));
        }

        void host(String name, HostData d, char kind, boolean required, boolean output) {
            if (d == null) {
                if (required) throw new IllegalArgumentException(op + " " + name + ": required, found null");
                return;
            }
            if (d instanceof HostData.Segment seg && seg.m().byteSize() % Float.BYTES != 0) {
                throw new IllegalArgumentException(op + " " + name + ": a segment of floats must be a multiple of 4 bytes long, found "
                        + seg.m().byteSize() + " bytes");
            }
            check(op + " " + name, d.length(), count(kind), shape(kind));
            if (output && !d.writable()) throw new IllegalArgumentException(op + " " + name + ": the output buffer is read-only");
        }
    }

    /** Frees the parameter and gradient tensors; later calls throw {@link IllegalStateException}. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try (params; grads) {
            // closes both, grads first
        }
    }

    @Override
    public String toString() {
        return spec.cell() + "(inputSize=" + spec.inputSize() + ", units=" + spec.units() + ", activation="
                + spec.activation().keyword() + (spec.bidirectional() ? ", bidirectional" : "") + ") on " + backend.name();
    }

    /**
     * What a forward pass keeps for its backward pass: the backend's {@link RnnTrace} (on the CPU
     * the saved activations, on a GPU cuDNN's reserve space and plan) and, for the host forms, the
     * backend copies of the input, initial states and output. One backward per forward. Close it
     * (try-with-resources) once the backward pass ran, or when none will.
     */
    public static final class Saved implements AutoCloseable {
        private final Rnn layer;
        private final int batch, steps;
        private final RnnTrace trace;
        private final List<Tensor> owned;
        private boolean closed, used;

        private Saved(Rnn layer, int batch, int steps, RnnTrace trace, List<Tensor> owned) {
            this.layer = layer;
            this.batch = batch;
            this.steps = steps;
            this.trace = trace;
            this.owned = owned;
        }

        /**
         * The forward pass's batch size.
         *
         * @return B
         */
        public int batch() {
            return batch;
        }

        /**
         * The forward pass's number of timesteps.
         *
         * @return T
         */
        public int steps() {
            return steps;
        }

        /** Frees what this forward pass kept; closing twice does nothing. */
        @Override
        public void close() {
            if (closed) return;
            closed = true;
            try {
                trace.close();
            } finally {
                closeAll(owned, null);
            }
        }
    }
}
