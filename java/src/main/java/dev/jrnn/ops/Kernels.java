package dev.jrnn.ops;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.GpuBackend;
import dev.jrnn.backend.Philox;
import dev.jrnn.backend.Tensor;
import java.util.Objects;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * jrnn's element-wise kernels: counter-based dropout, row softmax, fused softmax + sparse
 * categorical cross-entropy, and the Adam step, in two forms.
 * <ul>
 *   <li>On Java arrays, on any backend: each call copies its arrays to the backend, runs the op
 *       and copies the results back (on a GPU, a convenience for tests and small work).</li>
 *   <li>On the caller's device buffers ({@code CUdeviceptr}, 4-byte floats) with an explicit
 *       {@code CUstream}, on a {@link GpuBackend}: no copies; the call queues the kernel on that
 *       stream and returns at once (the stream becomes the backend's current one, see
 *       {@link GpuBackend#setStream}). Synchronize the stream before reading the results.</li>
 * </ul>
 * The same ops on backend tensors are {@link Backend#dropout}, {@link Backend#softmax},
 * {@link Backend#softmaxCrossEntropy} and {@link Backend#adam}.
 *
 * <p>Dropout masks are bit-identical on every backend (the same Philox4x32-10 counters); the other
 * kernels agree across backends to float rounding (their exponentials differ in the last bits), and
 * each backend's reductions run in a fixed order, so a backend repeats its own results exactly.
 *
 * <p>Thread safety: none; use it, like its backend, from one thread at a time. It holds no
 * memory between calls; {@link #close()} does nothing to the backend, which the caller owns.
 */
public final class Kernels implements AutoCloseable {
    private final Backend backend;

    private Kernels(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    /**
     * Kernels run by {@code backend}.
     *
     * @param backend the backend that runs them (not closed by this object)
     * @return kernels on that backend
     */
    public static Kernels on(Backend backend) {
        return new Kernels(backend);
    }

    /**
     * Inverted dropout, {@code out[i] = in[i] * keep(i) / (1 - rate)}, where element {@code i} is
     * kept when {@link Philox#uniform(long, long, int, long) Philox.uniform(seed, step, salt, i)}
     * is at least {@code rate}. The mask is a pure function of (seed, step, salt, i): nothing is
     * stored, and the same call on the output gradient is the backward pass
     * ({@link #dropoutBackward}). Use a new {@code step} per training step and a distinct
     * {@code salt} per dropout layer.
     *
     * @param seed the generator key
     * @param step the counter's high part, e.g. the training step
     * @param salt the counter's middle part, e.g. the layer index
     * @param rate probability of dropping an element, in [0, 1)
     * @param in   input, any length n
     * @param out  receives the output, length n (may be {@code in} itself)
     * @throws IllegalArgumentException when the rate is outside [0, 1) or the lengths differ
     */
    public void dropout(long seed, long step, int salt, float rate, float[] in, float[] out) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), found " + rate);
        sameLength("dropout in", in.length, "out", out.length);
        int n = in.length;
        if (n == 0) return;
        try (Tensor i = backend.allocate(n); Tensor o = backend.allocate(n)) {
            backend.write(in, 0, i, n);
            backend.dropout(seed, step, salt, rate, n, i, o);
            backend.read(o, out, 0, n);
        }
    }

    /**
     * The backward pass of {@link #dropout} with the same (seed, step, salt, rate):
     * {@code dIn[i] = dOut[i] * keep(i) / (1 - rate)}.
     *
     * @param seed the forward pass's generator key
     * @param step the forward pass's step
     * @param salt the forward pass's salt
     * @param rate the forward pass's rate, in [0, 1)
     * @param dOut gradient with respect to the output, any length n
     * @param dIn  receives the gradient with respect to the input, length n (may be {@code dOut})
     * @throws IllegalArgumentException when the rate is outside [0, 1) or the lengths differ
     */
    public void dropoutBackward(long seed, long step, int salt, float rate, float[] dOut, float[] dIn) {
        dropout(seed, step, salt, rate, dOut, dIn);
    }

    /**
     * Row softmax, {@code probs[r, j] = exp(logits[r, j] - max_r) / sum_k exp(logits[r, k] - max_r)},
     * computed stably (the row maximum subtracted first).
     *
     * @param rows   number of rows
     * @param cols   row length, e.g. the number of classes
     * @param logits (rows, cols) row-major
     * @param probs  receives (rows, cols) row-major (may be {@code logits})
     * @throws IllegalArgumentException when a length is not {@code rows * cols}
     */
    public void softmax(int rows, int cols, float[] logits, float[] probs) {
        int n = matrix("softmax", rows, cols);
        exact("softmax logits", logits.length, n, "(rows, cols) = (" + rows + ", " + cols + ")");
        exact("softmax probs", probs.length, n, "(rows, cols) = (" + rows + ", " + cols + ")");
        if (n == 0) return;
        try (Tensor l = backend.allocate(n); Tensor p = backend.allocate(n)) {
            backend.write(logits, 0, l, n);
            backend.softmax(rows, cols, l, p);
            backend.read(p, probs, 0, n);
        }
    }

    /**
     * Fused softmax and sparse categorical cross-entropy over a batch of logits: with
     * {@code p = softmax(logits[b])}, the loss of row {@code b} is {@code -log p[labels[b]]}
     * (log-sum-exp, stable), and the gradient is
     * {@code dLogits[b, j] = (p[j] - (j == labels[b] ? 1 : 0)) * gradScale}; pass
     * {@code gradScale = 1f / batch} for the gradient of the mean loss.
     *
     * @param batch     B, rows
     * @param classes   C, classes per row
     * @param logits    (B, C) row-major
     * @param labels    (B) class indices in [0, C)
     * @param gradScale factor applied to the gradient
     * @param dLogits   receives (B, C) the gradient, or {@code null} to compute the loss only
     * @return the summed loss and the number of rows whose arg-max is the label
     * @throws IllegalArgumentException when a length differs from its shape or a label is outside [0, C)
     */
    public Loss softmaxCrossEntropy(int batch, int classes, float[] logits, int[] labels, float gradScale, float[] dLogits) {
        int n = crossEntropySize(batch, classes);
        String shape = "(B, C) = (" + batch + ", " + classes + ")";
        exact("softmaxCrossEntropy logits", logits.length, n, shape);
        exact("softmaxCrossEntropy labels", labels.length, batch, "(B) = (" + batch + ")");
        if (dLogits != null) exact("softmaxCrossEntropy dLogits", dLogits.length, n, shape);
        float[] y = new float[batch];
        for (int b = 0; b < batch; b++) {
            if (labels[b] < 0 || labels[b] >= classes) {
                throw new IllegalArgumentException("softmaxCrossEntropy labels[" + b + "]: expected a class in [0, "
                        + classes + "), found " + labels[b]);
            }
            y[b] = labels[b];
        }
        try (Tensor l = backend.allocate(n); Tensor lab = backend.allocate(batch);
             Tensor d = dLogits == null ? null : backend.allocate(n); Tensor stats = backend.allocate(2)) {
            backend.write(logits, 0, l, n);
            backend.write(y, 0, lab, batch);
            backend.softmaxCrossEntropy(batch, classes, l, lab, gradScale, d, stats);
            if (dLogits != null) backend.read(d, dLogits, 0, n);
            float[] s = new float[2];
            backend.read(stats, s, 0, 2);
            return new Loss(s[0], Math.round(s[1]), batch);
        }
    }

    /**
     * One Adam step in Keras' form over parameters of any length n, updating {@code params},
     * {@code m} and {@code v} in place:
     * <pre>
     *   m = beta1 m + (1 - beta1) g        v = beta2 v + (1 - beta2) g^2
     *   p = p - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)
     * </pre>
     * Keras' defaults are {@code lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-7}.
     *
     * @param params the parameters, updated in place
     * @param grads  their gradients, length n
     * @param m      first-moment estimates, length n, updated (zeros before step 1)
     * @param v      second-moment estimates, length n, updated (zeros before step 1)
     * @param lr     learning rate
     * @param beta1  first-moment decay
     * @param beta2  second-moment decay
     * @param eps    added to {@code sqrt(v)}
     * @param t      the 1-based step number
     * @throws IllegalArgumentException when the lengths differ or {@code t < 1}
     */
    public void adam(float[] params, float[] grads, float[] m, float[] v, float lr, float beta1, float beta2, float eps,
                     long t) {
        int n = params.length;
        sameLength("adam params", n, "grads", grads.length);
        sameLength("adam params", n, "m", m.length);
        sameLength("adam params", n, "v", v.length);
        if (t < 1) throw new IllegalArgumentException("adam: the step t is 1-based, found " + t);
        if (n == 0) return;
        try (Tensor p = backend.allocate(n); Tensor g = backend.allocate(n); Tensor mm = backend.allocate(n);
             Tensor vv = backend.allocate(n)) {
            backend.write(params, 0, p, n);
            backend.write(grads, 0, g, n);
            backend.write(m, 0, mm, n);
            backend.write(v, 0, vv, n);
            backend.adam(n, p, g, mm, vv, lr, beta1, beta2, eps, t);
            backend.read(p, params, 0, n);
            backend.read(mm, m, 0, n);
            backend.read(vv, v, 0, n);
        }
    }

    // ---- on the caller's device buffers, with an explicit stream ------------------------------

    private GpuBackend gpu(CUstream stream) {
        if (!(backend instanceof GpuBackend g)) {
            throw new IllegalStateException("device-buffer kernels need a GpuBackend, this Kernels runs on " + backend.name()
                    + ": use the float[] forms, or Kernels.on(GpuBackend.open(0))");
        }
        if (stream == null) throw new IllegalArgumentException("the stream is null; pass the CUstream to queue the kernel on");
        if (g.stream() != stream) g.setStream(stream);
        return g;
    }

    private static Tensor view(GpuBackend g, CUdeviceptr p, long floats, String what) {
        if (p == null) throw new IllegalArgumentException(what + ": the device pointer is null");
        return g.wrap(p, 4 * floats);
    }

    /**
     * {@link #dropout(long, long, int, float, float[], float[]) Dropout} of {@code n} floats of
     * device memory, queued on {@code stream}.
     *
     * @param stream the stream to queue the kernel on
     * @param seed   the generator key
     * @param step   the counter's high part, e.g. the training step
     * @param salt   the counter's middle part, e.g. the layer index
     * @param rate   probability of dropping an element, in [0, 1)
     * @param n      number of floats
     * @param in     (n) input on the device
     * @param out    (n) output on the device (may be {@code in})
     * @throws IllegalStateException when this {@code Kernels} does not run on a {@link GpuBackend}
     * @throws IllegalArgumentException when the rate is outside [0, 1), or a pointer or the stream is null
     */
    public void dropout(CUstream stream, long seed, long step, int salt, float rate, int n, CUdeviceptr in, CUdeviceptr out) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), found " + rate);
        GpuBackend g = gpu(stream);
        g.dropout(seed, step, salt, rate, n, view(g, in, n, "dropout in"), view(g, out, n, "dropout out"));
    }

    /**
     * The backward pass of {@link #dropout(CUstream, long, long, int, float, int, CUdeviceptr, CUdeviceptr)},
     * with the forward pass's (seed, step, salt, rate), queued on {@code stream}.
     *
     * @param stream the stream to queue the kernel on
     * @param seed   the forward pass's generator key
     * @param step   the forward pass's step
     * @param salt   the forward pass's salt
     * @param rate   the forward pass's rate, in [0, 1)
     * @param n      number of floats
     * @param dOut   (n) gradient with respect to the output, on the device
     * @param dIn    (n) receives the gradient with respect to the input (may be {@code dOut})
     * @throws IllegalStateException when this {@code Kernels} does not run on a {@link GpuBackend}
     * @throws IllegalArgumentException when the rate is outside [0, 1), or a pointer or the stream is null
     */
    public void dropoutBackward(CUstream stream, long seed, long step, int salt, float rate, int n, CUdeviceptr dOut,
                                CUdeviceptr dIn) {
        dropout(stream, seed, step, salt, rate, n, dOut, dIn);
    }

    /**
     * {@link #softmax(int, int, float[], float[]) Row softmax} of device memory, queued on {@code stream}.
     *
     * @param stream the stream to queue the kernel on
     * @param rows   number of rows
     * @param cols   row length
     * @param logits (rows, cols) on the device
     * @param probs  (rows, cols) receives the probabilities (may be {@code logits})
     * @throws IllegalStateException when this {@code Kernels} does not run on a {@link GpuBackend}
     * @throws IllegalArgumentException when a size is negative, or a pointer or the stream is null
     */
    public void softmax(CUstream stream, int rows, int cols, CUdeviceptr logits, CUdeviceptr probs) {
        int n = matrix("softmax", rows, cols);
        GpuBackend g = gpu(stream);
        g.softmax(rows, cols, view(g, logits, n, "softmax logits"), view(g, probs, n, "softmax probs"));
    }

    /**
     * {@link #softmaxCrossEntropy(int, int, float[], int[], float, float[]) Fused softmax and sparse
     * cross-entropy} of device memory, queued on {@code stream}. The loss sum and correct count are
     * added to {@code stats} on the device, so a training loop reads them only when it wants to.
     *
     * @param stream    the stream to queue the kernel on
     * @param batch     B, rows
     * @param classes   C, classes per row
     * @param logits    (B, C) on the device
     * @param labels    (B) class indices stored as floats, on the device
     * @param gradScale factor applied to the gradient, e.g. {@code 1f / batch}
     * @param dLogits   (B, C) receives the gradient, or {@code null} for the loss only
     * @param stats     (2) floats on the device, accumulated: {@code [sum of -log p(label), correct count]}
     * @throws IllegalStateException when this {@code Kernels} does not run on a {@link GpuBackend}
     * @throws IllegalArgumentException when a size is not positive, or a required pointer or the stream is null
     */
    public void softmaxCrossEntropy(CUstream stream, int batch, int classes, CUdeviceptr logits, CUdeviceptr labels,
                                    float gradScale, CUdeviceptr dLogits, CUdeviceptr stats) {
        int n = crossEntropySize(batch, classes);
        GpuBackend g = gpu(stream);
        g.softmaxCrossEntropy(batch, classes, view(g, logits, n, "softmaxCrossEntropy logits"),
                view(g, labels, batch, "softmaxCrossEntropy labels"), gradScale,
                dLogits == null ? null : view(g, dLogits, n, "softmaxCrossEntropy dLogits"),
                view(g, stats, 2, "softmaxCrossEntropy stats"));
    }

    /**
     * {@link #adam(float[], float[], float[], float[], float, float, float, float, long) One Adam
     * step} over {@code n} parameters in device memory, queued on {@code stream}.
     *
     * @param stream the stream to queue the kernel on
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
     * @throws IllegalStateException when this {@code Kernels} does not run on a {@link GpuBackend}
     * @throws IllegalArgumentException when {@code t < 1}, or a pointer or the stream is null
     */
    public void adam(CUstream stream, int n, CUdeviceptr params, CUdeviceptr grads, CUdeviceptr m, CUdeviceptr v,
                     float lr, float beta1, float beta2, float eps, long t) {
        if (t < 1) throw new IllegalArgumentException("adam: the step t is 1-based, found " + t);
        GpuBackend g = gpu(stream);
        g.adam(n, view(g, params, n, "adam params"), view(g, grads, n, "adam grads"), view(g, m, n, "adam m"),
                view(g, v, n, "adam v"), lr, beta1, beta2, eps, t);
    }

    /** Does nothing: the kernels hold no memory between calls and the caller owns the backend. */
    @Override
    public void close() {}

    /** B * C for a cross-entropy call, both positive. */
    private static int crossEntropySize(int batch, int classes) {
        if (batch <= 0 || classes <= 0) {
            throw new IllegalArgumentException("softmaxCrossEntropy: batch and classes must be positive, found "
                    + batch + " and " + classes);
        }
        return matrix("softmaxCrossEntropy", batch, classes);
    }

    private static int matrix(String op, int rows, int cols) {
        long n = (long) rows * cols;
        if (rows < 0 || cols < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": expected non-negative sizes whose product fits in an int, found "
                    + rows + " x " + cols);
        }
        return (int) n;
    }

    private static void exact(String what, int found, int expected, String shape) {
        if (found != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " elements " + shape + ", found " + found);
        }
    }

    private static void sameLength(String a, int na, String b, int nb) {
        if (na != nb) throw new IllegalArgumentException(a + " has " + na + " elements but " + b + " has " + nb + "; they must match");
    }

    /**
     * The result of {@link #softmaxCrossEntropy}.
     *
     * @param sum     the summed loss over the batch, {@code sum_b -log p[b, labels[b]]}
     * @param correct rows whose largest logit is at the label (ties: the first index)
     * @param batch   B, the number of rows
     */
    public record Loss(double sum, int correct, int batch) {
        /**
         * The mean loss over the batch.
         *
         * @return {@code sum / batch}
         */
        public double mean() {
            return sum / batch;
        }

        /**
         * The fraction of rows predicted correctly.
         *
         * @return {@code correct / batch}
         */
        public double accuracy() {
            return correct / (double) batch;
        }
    }
}
