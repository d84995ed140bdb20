package dev.jrnn.backend;

/**
 * Every op the layers and the trainer need, over {@link Tensor}s this backend allocated.
 *
 * <p>Implementations: {@code dev.jrnn.cpu.ReferenceBackend} (plain float64 loops, the ground
 * truth in tests), {@code dev.jrnn.cpu.VectorBackend} (Vector API, multi-threaded over the
 * batch) and, with the GPU issue, a CUDA backend. All matrices are row-major; shapes are given in
 * comments as {@code (rows, cols)} and gate order is cuDNN's (LSTM i, f, g, o; GRU r, z, n).
 *
 * <p>Ops that say "accumulates" add into their output; all others overwrite it. A backend is
 * used by one thread at a time (it may use more threads internally).
 */
public interface Backend extends AutoCloseable {

    /** Short name: {@code reference}, {@code cpu}, {@code cuda}. */
    String name();

    /** One line for logs: what runs the ops (e.g. threads and vector width). */
    String description();

    // ---- memory ------------------------------------------------------------------------------

    /** A new zero-filled tensor of {@code size} elements. */
    Tensor allocate(int size);

    /** Copies {@code length} floats from {@code src[srcOffset..]} into {@code dst[0..length)}. */
    void write(float[] src, int srcOffset, Tensor dst, int length);

    /** Copies {@code src[0..length)} into {@code dst[dstOffset..]}. */
    void read(Tensor src, float[] dst, int dstOffset, int length);

    /** Sets every element of {@code t} to {@code value}. */
    void fill(Tensor t, float value);

    /** Waits for queued work; a no-op on the CPU. */
    default void synchronize() {}

    // ---- dense algebra -----------------------------------------------------------------------

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, all row-major and densely packed, where
     * {@code op(A)} is (m, k) and {@code op(B)} is (k, n); {@code A} is stored (m, k), or (k, m)
     * when {@code transA}; {@code B} is stored (k, n), or (n, k) when {@code transB}. With
     * {@code beta == 0} the old contents of {@code C} are ignored (even NaN).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /** In place on {@code y} (rows, cols): {@code y = act(y + bias)}, bias (cols). Softmax is not allowed here. */
    void biasActivation(int rows, int cols, Tensor y, Tensor bias, Activation act);

    /**
     * In place on {@code dy} (n): {@code dy *= act'(y)} where {@code y = act(pre)} is the
     * layer's output; turns the output gradient into the pre-activation gradient.
     */
    void activationBackward(int n, Activation act, Tensor y, Tensor dy);

    /** Accumulates column sums: {@code db[j] += sum_i dy[i, j]}, dy (rows, cols), db (cols). */
    void biasGradient(int rows, int cols, Tensor dy, Tensor db);

    // ---- recurrent layers --------------------------------------------------------------------

    /**
     * Runs one recurrent layer over a whole sequence from zero initial states; the same as
     * {@link #rnnForward(RnnSpec, int, int, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)
     * rnnForward} with {@code hx}, {@code cx}, {@code hy} and {@code cy} all {@code null}.
     *
     * @param spec    the layer's cell, sizes and activation
     * @param batch   B, sequences in the batch
     * @param steps   T, timesteps per sequence
     * @param x       (B, T, F) input
     * @param params  the layer's canonical parameters, {@link RnnSpec#paramCount()} floats
     * @param y       (B, T, H) hidden state after every step
     * @param reserve (B, {@link RnnSpec#reservePerSample(int) reservePerSample(T)}) kept for backward
     */
    default void rnnForward(RnnSpec spec, int batch, int steps, Tensor x, Tensor params, Tensor y, Tensor reserve) {
        rnnForward(spec, batch, steps, x, null, null, params, y, null, null, reserve);
    }

    /**
     * Runs one recurrent layer over a whole sequence (cuDNN's {@code cudnnRNNForward} for one
     * layer, unidirectional, batch-major). Names follow cuDNN: {@code hx}/{@code cx} are the
     * initial hidden and cell states, {@code hy}/{@code cy} the final ones.
     *
     * @param spec    the layer's cell, sizes and activation
     * @param batch   B, sequences in the batch
     * @param steps   T, timesteps per sequence
     * @param x       (B, T, F) input
     * @param hx      (B, H) initial hidden state; {@code null} for zeros
     * @param cx      (B, H) initial cell state (LSTM only; must be {@code null} for GRU); {@code null} for zeros
     * @param params  the layer's canonical parameters, {@link RnnSpec#paramCount()} floats
     * @param y       (B, T, H) hidden state after every step
     * @param hy      (B, H) receives the final hidden state (equal to {@code y[:, T-1, :]}); {@code null} to skip
     * @param cy      (B, H) receives the final cell state (LSTM only); {@code null} to skip
     * @param reserve (B, {@link RnnSpec#reservePerSample(int) reservePerSample(T)}) kept for backward
     * @throws IllegalArgumentException when a tensor is too small, or {@code cx}/{@code cy} is given for a GRU
     */
    void rnnForward(RnnSpec spec, int batch, int steps, Tensor x, Tensor hx, Tensor cx, Tensor params,
                    Tensor y, Tensor hy, Tensor cy, Tensor reserve);

    /**
     * Back-propagates through one recurrent layer from zero initial states; the same as the full
     * {@link #rnnBackward(RnnSpec, int, int, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
     * Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) rnnBackward} with every state argument {@code null}.
     *
     * @param spec    the layer's cell, sizes and activation
     * @param batch   B, sequences in the batch
     * @param steps   T, timesteps per sequence
     * @param x       (B, T, F) the forward pass's input
     * @param params  the forward pass's canonical parameters
     * @param y       (B, T, H) the forward pass's output
     * @param reserve what the forward pass stored
     * @param dy      (B, T, H) loss gradient with respect to every output; may be overwritten
     * @param dx      (B, T, F) receives the input gradient; {@code null} to skip it (first layer)
     * @param dParams accumulates the parameter gradients, canonical layout
     */
    default void rnnBackward(RnnSpec spec, int batch, int steps, Tensor x, Tensor params, Tensor y,
                             Tensor reserve, Tensor dy, Tensor dx, Tensor dParams) {
        rnnBackward(spec, batch, steps, x, null, null, params, y, reserve, dy, null, null, dx, null, null, dParams);
    }

    /**
     * Back-propagates through one recurrent layer, using what the {@link #rnnForward} with the same
     * {@code reserve} stored (cuDNN's {@code cudnnRNNBackwardData_v8} and
     * {@code cudnnRNNBackwardWeights_v8}). {@code x}, {@code hx}, {@code cx}, {@code params} and
     * {@code y} must hold what that forward pass saw and wrote.
     *
     * <p>The gradient reaching the last step's hidden state is {@code dy[:, T-1, :] + dhy}.
     *
     * @param spec    the layer's cell, sizes and activation
     * @param batch   B, sequences in the batch
     * @param steps   T, timesteps per sequence
     * @param x       (B, T, F) the forward pass's input
     * @param hx      (B, H) the forward pass's initial hidden state; {@code null} for zeros
     * @param cx      (B, H) the forward pass's initial cell state (LSTM only); {@code null} for zeros
     * @param params  the forward pass's canonical parameters
     * @param y       (B, T, H) the forward pass's output
     * @param reserve what the forward pass stored
     * @param dy      (B, T, H) loss gradient with respect to every output; may be overwritten
     * @param dhy     (B, H) loss gradient with respect to the final hidden state; {@code null} for zeros
     * @param dcy     (B, H) loss gradient with respect to the final cell state (LSTM only); {@code null} for zeros
     * @param dx      (B, T, F) receives the input gradient; {@code null} to skip it
     * @param dhx     (B, H) receives the gradient with respect to {@code hx}; {@code null} to skip it
     * @param dcx     (B, H) receives the gradient with respect to {@code cx} (LSTM only); {@code null} to skip it
     * @param dParams accumulates the parameter gradients, canonical layout
     * @throws IllegalArgumentException when a tensor is too small, or a cell-state argument is given for a GRU
     */
    void rnnBackward(RnnSpec spec, int batch, int steps, Tensor x, Tensor hx, Tensor cx, Tensor params,
                     Tensor y, Tensor reserve, Tensor dy, Tensor dhy, Tensor dcy,
                     Tensor dx, Tensor dhx, Tensor dcx, Tensor dParams);

    /** {@code out[b, :] = seq[b, T-1, :]}: seq (B, T, W), out (B, W). */
    void lastStep(int batch, int steps, int width, Tensor seq, Tensor out);

    /** {@code dSeq[b, T-1, :] = dOut[b, :]}, every other element of dSeq (B, T, W) set to 0. */
    void lastStepBackward(int batch, int steps, int width, Tensor dOut, Tensor dSeq);

    // ---- regularisation, loss, optimiser -----------------------------------------------------

    /**
     * Inverted dropout {@code out = in * mask / (1 - rate)}, where element {@code i} is kept when
     * {@link Philox#uniform(long, long, int, long)} of (seed, step, salt, i) is at least
     * {@code rate}. The same call with the gradients computes the backward pass.
     */
    void dropout(long seed, long step, int salt, float rate, int n, Tensor in, Tensor out);

    /**
     * Fused softmax and sparse categorical cross-entropy over logits (B, C).
     *
     * @param labels  (B) class indices stored as floats
     * @param dLogits (B, C) receives {@code (softmax - onehot) * gradScale}; {@code null} to skip
     * @param stats   (2) accumulates {@code [sum of -log p(label), number of argmax == label]}
     */
    void softmaxCrossEntropy(int batch, int classes, Tensor logits, Tensor labels,
                             float gradScale, Tensor dLogits, Tensor stats);

    /** Row softmax: probs (rows, cols) from logits (rows, cols). */
    void softmax(int rows, int cols, Tensor logits, Tensor probs);

    /**
     * One Adam step (Keras form) over {@code n} parameters:
     * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * p -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)}.
     *
     * @param t the 1-based step number
     */
    void adam(int n, Tensor params, Tensor grads, Tensor m, Tensor v,
              float lr, float beta1, float beta2, float eps, long t);

    @Override
    default void close() {}
}
