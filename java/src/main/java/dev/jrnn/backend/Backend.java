package dev.jrnn.backend;

/**
 * Every op the layers and the trainer need, over {@link Tensor}s this backend allocated (or, on
 * a {@link GpuBackend}, wrapped).
 *
 * <p>Implementations, chosen with {@link Backends}: the scalar reference (plain float64 loops, the
 * ground truth in tests; {@link Backends#reference()}), the Vector API CPU backend (float32,
 * multi-threaded over the batch, deterministic for a given thread count; {@link Backends#cpu()})
 * and the CUDA backend ({@link GpuBackend}). All matrices are row-major; shapes are given as
 * {@code (rows, cols)} and gate order is cuDNN's (LSTM i, f, g, o; GRU r, z, n).
 *
 * <p>Ops that say "accumulates" add into their output; all others overwrite it. Tensors of
 * another backend, or smaller than an op's shape, are an {@link IllegalArgumentException}.
 * Thread safety: a backend is used by one thread at a time (it may use more threads internally).
 * Ownership: the caller closes the tensors it allocated and the backend itself; closing the
 * backend frees what it holds (worker threads, device memory).
 *
 * <p>Exported for use, not for implementation outside jrnn: before 1.0.0 methods may be added in
 * a minor release.
 */
public interface Backend extends AutoCloseable {

    /**
     * The backend's short name.
     *
     * @return {@code reference}, {@code cpu} or {@code cuda}
     */
    String name();

    /**
     * One line for logs: what runs the ops.
     *
     * @return for example the thread count and vector width, or the device and library versions
     */
    String description();

    // ---- memory ------------------------------------------------------------------------------

    /**
     * A new zero-filled tensor.
     *
     * @param size number of floats, at least 0
     * @return a tensor the caller closes
     * @throws IllegalArgumentException when {@code size < 0}
     */
    Tensor allocate(int size);

    /**
     * A tensor holding {@code values}, which the caller promises not to change while the tensor is
     * in use: backends that can address the array directly (the Vector API CPU backend) share it
     * instead of copying; the others copy it into a new tensor. Close it like any tensor.
     *
     * @param values the data
     * @return a tensor of {@code values.length} elements with those values
     */
    default Tensor constant(float[] values) {
        Tensor t = allocate(values.length);
        write(values, 0, t, values.length);
        return t;
    }

    /**
     * Copies host floats into a tensor: {@code dst[0..length) = src[srcOffset..srcOffset+length)}.
     *
     * @param src       the host array
     * @param srcOffset first element of {@code src} to copy
     * @param dst       the destination tensor, at least {@code length} elements
     * @param length    number of floats
     * @throws IndexOutOfBoundsException when the range lies outside {@code src}
     * @throws IllegalArgumentException when {@code dst} is too small or not this backend's
     */
    void write(float[] src, int srcOffset, Tensor dst, int length);

    /**
     * Copies a tensor's floats to the host: {@code dst[dstOffset..dstOffset+length) = src[0..length)};
     * on a GPU it waits for the work queued before it.
     *
     * @param src       the source tensor, at least {@code length} elements
     * @param dst       the host array
     * @param dstOffset first element of {@code dst} to write
     * @param length    number of floats
     * @throws IndexOutOfBoundsException when the range lies outside {@code dst}
     * @throws IllegalArgumentException when {@code src} is too small or not this backend's
     */
    void read(Tensor src, float[] dst, int dstOffset, int length);

    /**
     * Sets every element of {@code t} to {@code value}.
     *
     * @param t     the tensor
     * @param value the value
     */
    void fill(Tensor t, float value);

    /** Waits until all queued work has finished; a no-op on the CPU backends. */
    default void synchronize() {}

    // ---- dense algebra -----------------------------------------------------------------------

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, all row-major and densely packed, where
     * {@code op(A)} is (m, k) and {@code op(B)} is (k, n); {@code A} is stored (m, k), or (k, m)
     * when {@code transA}; {@code B} is stored (k, n), or (n, k) when {@code transB}. With
     * {@code beta == 0} the old contents of {@code C} are ignored (even NaN).
     *
     * @param transA whether {@code A} is stored transposed, (k, m)
     * @param transB whether {@code B} is stored transposed, (n, k)
     * @param m      rows of {@code C}
     * @param n      columns of {@code C}
     * @param k      the inner dimension
     * @param alpha  factor on the product
     * @param a      {@code A}, m*k floats
     * @param b      {@code B}, k*n floats
     * @param beta   factor on the old {@code C}
     * @param c      {@code C} (m, n), overwritten
     * @throws IllegalArgumentException when a size is negative or a tensor too small
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /**
     * In place: {@code y[i, j] = act(y[i, j] + bias[j])}.
     *
     * @param rows rows of {@code y}
     * @param cols columns of {@code y} and length of {@code bias}
     * @param y    (rows, cols), updated in place
     * @param bias (cols)
     * @param act  the activation; not {@link Activation#SOFTMAX}
     * @throws IllegalArgumentException for softmax, or when a tensor is too small
     */
    void biasActivation(int rows, int cols, Tensor y, Tensor bias, Activation act);

    /**
     * In place on {@code dy} (n): {@code dy *= act'(y)} where {@code y = act(pre)} is the
     * layer's output; turns the output gradient into the pre-activation gradient.
     *
     * @param n   number of elements
     * @param act the activation the forward pass applied
     * @param y   (n) the forward pass's activated output
     * @param dy  (n) the gradient with respect to {@code y}, updated in place
     */
    void activationBackward(int n, Activation act, Tensor y, Tensor dy);

    /**
     * Accumulates column sums: {@code db[j] += sum_i dy[i, j]}.
     *
     * @param rows rows of {@code dy}
     * @param cols columns of {@code dy} and length of {@code db}
     * @param dy   (rows, cols)
     * @param db   (cols), accumulated into
     */
    void biasGradient(int rows, int cols, Tensor dy, Tensor db);

    // ---- recurrent layers --------------------------------------------------------------------

    /**
     * Runs one recurrent layer, or a stack of them ({@link RnnSpec#layers()}), in one or both
     * directions ({@link RnnSpec#bidirectional()}), over a whole padded batch of sequences for
     * training (cuDNN's {@code cudnnRNNForward} in training mode) and returns what its backward pass
     * needs. Names follow cuDNN: {@code initial} holds {@code hx}/{@code cx}, {@code last} receives
     * {@code hy}/{@code cy}.
     *
     * <p>Sequence {@code b} is steps {@code [0, lengths[b])} of its row of {@code x}; the rest is
     * padding, which this pass does not read. Its outputs there are 0, its final state is the state
     * at its last valid step (the reverse direction's at step 0), and its backward pass sends no
     * gradient from there: PyTorch's {@code pack_padded_sequence} semantics. On the CPU a batch costs
     * what its lengths add up to, not B * T.
     *
     * <p>{@code x}, {@code initial}, {@code params} and {@code y} must keep what this pass saw and
     * wrote until {@link #rnnBackward} with the returned trace has run; the backend copies
     * {@code lengths}.
     *
     * @param spec    the layer's cell, sizes, activation, layers and directions
     * @param batch   B, sequences in the batch
     * @param steps   T, timesteps per (padded) sequence
     * @param lengths B lengths in [1, T] ({@link RnnSpec#checkLengths}), or {@code null} for all T
     * @param x       (B, T, F) input
     * @param initial the initial states (layers * directions, B, H); {@link RnnState#NONE} (or {@code null}) for zeros
     * @param params  the layer's canonical parameters, {@link RnnSpec#paramCount()} floats
     * @param y       (B, T, directions * H) the top layer's hidden states after every step, the
     *                directions concatenated per step
     * @param last    receives the final states (layers * directions, B, H); {@link RnnState#NONE}
     *                (or {@code null}) to skip
     * @return the trace the backward pass takes; the caller closes it
     * @throws IllegalArgumentException when a tensor is too small ({@link RnnSpec#checkForward}), a
     *         length is out of range, or a cell state is given for a GRU
     */
    RnnTrace rnnForward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, RnnState initial, Tensor params,
                        Tensor y, RnnState last);

    /**
     * {@link #rnnForward(RnnSpec, int, int, int[], Tensor, RnnState, Tensor, Tensor, RnnState) rnnForward}
     * with every sequence T steps long.
     *
     * @param spec    the layer's cell, sizes and activation
     * @param batch   B, sequences in the batch
     * @param steps   T, timesteps per sequence
     * @param x       (B, T, F) input
     * @param initial the initial states (layers, B, H); {@link RnnState#NONE} (or {@code null}) for zeros
     * @param params  the layer's canonical parameters, {@link RnnSpec#paramCount()} floats
     * @param y       (B, T, H) hidden state after every step (the top layer's)
     * @param last    receives the final states (layers, B, H) ({@code h} equals {@code y[:, T-1, :]}
     *                for one layer); {@link RnnState#NONE} (or {@code null}) to skip
     * @return the trace the backward pass takes; the caller closes it
     * @throws IllegalArgumentException when a tensor is too small ({@link RnnSpec#checkForward}),
     *         or a cell state is given for a GRU
     */
    default RnnTrace rnnForward(RnnSpec spec, int batch, int steps, Tensor x, RnnState initial, Tensor params,
                                Tensor y, RnnState last) {
        return rnnForward(spec, batch, steps, null, x, initial, params, y, last);
    }

    /**
     * {@link #rnnForward(RnnSpec, int, int, Tensor, RnnState, Tensor, Tensor, RnnState) rnnForward}
     * from zero initial states, without final states.
     *
     * @param spec   the layer's cell, sizes and activation
     * @param batch  B
     * @param steps  T
     * @param x      (B, T, F) input
     * @param params canonical parameters
     * @param y      (B, T, H) output
     * @return the trace the backward pass takes; the caller closes it
     */
    default RnnTrace rnnForward(RnnSpec spec, int batch, int steps, Tensor x, Tensor params, Tensor y) {
        return rnnForward(spec, batch, steps, x, RnnState.NONE, params, y, RnnState.NONE);
    }

    /**
     * The same pass for inference: no backward pass follows, so the backend keeps nothing and
     * cuDNN runs its inference mode.
     *
     * @param spec    the layer's cell, sizes and activation
     * @param batch   B, sequences in the batch
     * @param steps   T, timesteps per sequence
     * @param x       (B, T, F) input
     * @param initial the initial states (layers, B, H); {@link RnnState#NONE} (or {@code null}) for zeros
     * @param params  the layer's canonical parameters
     * @param y       (B, T, H) hidden state after every step
     * @param last    receives the final states; {@link RnnState#NONE} (or {@code null}) to skip
     * @throws IllegalArgumentException as {@link #rnnForward(RnnSpec, int, int, Tensor, RnnState, Tensor, Tensor, RnnState) rnnForward}
     */
    default void rnnInfer(RnnSpec spec, int batch, int steps, Tensor x, RnnState initial, Tensor params, Tensor y,
                          RnnState last) {
        rnnInfer(spec, batch, steps, null, x, initial, params, y, last);
    }

    /**
     * The inference pass with per-sample lengths, as
     * {@link #rnnForward(RnnSpec, int, int, int[], Tensor, RnnState, Tensor, Tensor, RnnState) rnnForward}
     * takes them.
     *
     * @param spec    the layer's cell, sizes, activation, layers and directions
     * @param batch   B, sequences in the batch
     * @param steps   T, timesteps per (padded) sequence
     * @param lengths B lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F) input
     * @param initial the initial states (layers * directions, B, H); {@link RnnState#NONE} (or {@code null}) for zeros
     * @param params  the layer's canonical parameters
     * @param y       (B, T, directions * H) hidden states after every step, 0 past each length
     * @param last    receives the final states; {@link RnnState#NONE} (or {@code null}) to skip
     * @throws IllegalArgumentException as {@link #rnnForward(RnnSpec, int, int, int[], Tensor, RnnState, Tensor, Tensor, RnnState) rnnForward}
     */
    void rnnInfer(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, RnnState initial, Tensor params, Tensor y,
                  RnnState last);

    /**
     * Back-propagates through the forward pass {@code trace} came from (cuDNN's
     * {@code cudnnRNNBackwardData_v8} and {@code cudnnRNNBackwardWeights_v8}). The gradient reaching
     * the last step's hidden state is {@code dy[:, T-1, :] + dLast.h} (with lengths, the last valid
     * step's; {@code dy} past a sequence's length is ignored and {@code dx} there is 0). The trace
     * stays open: the caller closes it.
     *
     * <p>A layer whose loss sees only its final state (a classifier reading the last step) passes
     * {@code dy} null and that gradient as {@code dLast.h}: the same result as a {@code dy} of
     * zeros but for that step, without a (B, T, H) tensor of zeros to fill and read.
     *
     * @param trace    what {@link #rnnForward} returned, not yet closed
     * @param dy       (B, T, directions * H) loss gradient with respect to every output, or {@code null} for zeros; may be overwritten
     * @param dLast    gradients with respect to the final states (layers * directions, B, H); {@link RnnState#NONE} (or {@code null}) for zeros
     * @param dx       (B, T, F) receives the input gradient; {@code null} to skip it (first layer)
     * @param dInitial receives the gradients with respect to the initial states; {@link RnnState#NONE} (or {@code null}) to skip
     * @param dParams  accumulates the parameter gradients, canonical layout
     * @throws IllegalArgumentException when a tensor is too small, a cell state is given for a GRU,
     *         or the trace is another backend's
     * @throws IllegalStateException when the trace is closed
     */
    void rnnBackward(RnnTrace trace, Tensor dy, RnnState dLast, Tensor dx, RnnState dInitial, Tensor dParams);

    /**
     * {@link #rnnBackward(RnnTrace, Tensor, RnnState, Tensor, RnnState, Tensor) rnnBackward} with no
     * state gradients.
     *
     * @param trace   what {@link #rnnForward} returned
     * @param dy      (B, T, H) output gradient; may be overwritten
     * @param dx      (B, T, F) receives the input gradient; {@code null} to skip it
     * @param dParams accumulates the parameter gradients
     */
    default void rnnBackward(RnnTrace trace, Tensor dy, Tensor dx, Tensor dParams) {
        rnnBackward(trace, dy, RnnState.NONE, dx, RnnState.NONE, dParams);
    }

    /**
     * The last step of a sequence: {@code out[b, :] = seq[b, T-1, :]}.
     *
     * @param batch B
     * @param steps T
     * @param width W, features per step
     * @param seq   (B, T, W)
     * @param out   (B, W), overwritten
     */
    void lastStep(int batch, int steps, int width, Tensor seq, Tensor out);

    /**
     * The backward pass of {@link #lastStep}: {@code dSeq[b, T-1, :] = dOut[b, :]}, every other
     * element of {@code dSeq} set to 0.
     *
     * @param batch B
     * @param steps T
     * @param width W, features per step
     * @param dOut  (B, W)
     * @param dSeq  (B, T, W), overwritten
     */
    void lastStepBackward(int batch, int steps, int width, Tensor dOut, Tensor dSeq);

    /**
     * Gathers rows: {@code dst[i, :] = src[index[i], :]} for {@code i < rows}. Lets a trainer keep
     * a whole dataset on the backend and assemble each shuffled batch there, with no host copy per
     * step.
     *
     * @param rows  number of rows to gather
     * @param width row length
     * @param src   (N, width) the rows to gather from
     * @param index (rows) row numbers in [0, N), stored as floats (exact up to 2^24 rows)
     * @param dst   (rows, width), overwritten
     * @throws IllegalArgumentException when a tensor is too small, or (on the CPU backends) an index
     *         is not a row of {@code src}
     */
    void gatherRows(int rows, int width, Tensor src, Tensor index, Tensor dst);

    /**
     * The backward pass of {@link #gatherRows}: {@code dst[index[i], :] = src[i, :]} for each
     * {@code i < rows}; the other rows of {@code dst} keep their values (fill it with 0 first for a
     * gradient). The indices must be distinct. A network takes the last valid step of sequences of
     * different lengths with {@link #gatherRows}, and sends its gradient back with this.
     *
     * @param rows  number of rows to scatter
     * @param width row length
     * @param src   (rows, width) the rows to write
     * @param index (rows) distinct row numbers in [0, N), stored as floats (exact up to 2^24 rows)
     * @param dst   (N, width), the indexed rows overwritten
     * @throws IllegalArgumentException when a tensor is too small, or (on the CPU backends) an index
     *         is not a row of {@code dst}
     */
    void scatterRows(int rows, int width, Tensor src, Tensor index, Tensor dst);

    // ---- regularisation, loss, optimiser -----------------------------------------------------

    /**
     * Inverted dropout {@code out = in * mask / (1 - rate)}, where element {@code i} is kept when
     * {@link Philox#uniform(long, long, int, long)} of (seed, step, salt, i) is at least
     * {@code rate}. The same call with the gradients computes the backward pass.
     *
     * @param seed the generator key
     * @param step the counter's high part, e.g. the training step
     * @param salt the counter's middle part, e.g. the layer index
     * @param rate probability of dropping, in [0, 1)
     * @param n    number of elements
     * @param in   (n) input
     * @param out  (n) output, overwritten (may be {@code in})
     */
    void dropout(long seed, long step, int salt, float rate, int n, Tensor in, Tensor out);

    /**
     * Fused softmax and sparse categorical cross-entropy over logits (B, C), stable
     * (log-sum-exp).
     *
     * @param batch     B, rows
     * @param classes   C, classes per row
     * @param logits    (B, C)
     * @param gradScale factor on the gradient, e.g. {@code 1 / B} for the mean loss
     * @param labels  (B) class indices stored as floats
     * @param dLogits (B, C) receives {@code (softmax - onehot) * gradScale}; {@code null} to skip
     * @param stats   (2) accumulates {@code [sum of -log p(label), number of argmax == label]}
     */
    void softmaxCrossEntropy(int batch, int classes, Tensor logits, Tensor labels,
                             float gradScale, Tensor dLogits, Tensor stats);

    /**
     * Row softmax, computed stably: {@code probs[r, j] = exp(logits[r, j] - max_r) / sum_k exp(logits[r, k] - max_r)}.
     *
     * @param rows   rows
     * @param cols   row length
     * @param logits (rows, cols)
     * @param probs  (rows, cols), overwritten (may be {@code logits})
     */
    void softmax(int rows, int cols, Tensor logits, Tensor probs);

    /**
     * One Adam step (Keras form) over {@code n} parameters:
     * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * p -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)}.
     *
     * @param n      number of parameters
     * @param params (n) updated in place
     * @param grads  (n) gradients
     * @param m      (n) first moments, updated
     * @param v      (n) second moments, updated
     * @param lr     learning rate
     * @param beta1  first-moment decay
     * @param beta2  second-moment decay
     * @param eps    added to {@code sqrt(v)}
     * @param t      the 1-based step number
     * @throws IllegalArgumentException when {@code t < 1}
     */
    void adam(int n, Tensor params, Tensor grads, Tensor m, Tensor v,
              float lr, float beta1, float beta2, float eps, long t);

    /** Frees what the backend holds (worker threads, device memory); tensors it made become unusable. */
    @Override
    default void close() {}
}
