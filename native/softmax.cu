// Row softmax, and softmax fused with sparse categorical cross-entropy (DESIGN.md "Loss").
// Exponentials and sums in double, like the CPU backends; logits (rows, cols) row-major.
#include "common.cuh"
#include <math.h>

// Body: probs[r, :] = softmax(logits[r, :]). logits, probs (rows, cols).
JRNN_HD void jrnn_softmax_row(long long r, int cols, const float* logits, float* probs) {
    const float* l = logits + r * cols;
    float* p = probs + r * cols;
    float max = -INFINITY;
    for (int c = 0; c < cols; c++) max = l[c] > max ? l[c] : max;
    double sum = 0;
    for (int c = 0; c < cols; c++) sum += exp((double)l[c] - max);
    for (int c = 0; c < cols; c++) p[c] = (float)(exp((double)l[c] - max) / sum);
}

// Body for sample b of the fused loss: returns -log softmax(logits[b])[label] and whether the
// argmax (first maximum) is the label; writes dLogits[b, :] = (softmax - onehot) * gradScale unless
// dLogits is null. A label that is not an integer class index in [0, classes) gives NaN loss and
// NaN gradients (the trainer checks labels before they reach the device).
JRNN_HD double jrnn_xent_row(long long b, int classes, const float* logits, const float* labels, float gradScale,
                             float* dLogits, int* correct) {
    const float* l = logits + b * classes;
    float lf = labels[b];
    int label = (lf >= 0.0f && lf < (float)classes) ? (int)lf : -1;
    if (label >= 0 && (float)label != lf) label = -1;
    float max = -INFINITY;
    int argmax = 0;
    for (int c = 0; c < classes; c++) {
        if (l[c] > max) {
            max = l[c];
            argmax = c;
        }
    }
    double sum = 0;
    for (int c = 0; c < classes; c++) sum += exp((double)l[c] - max);
    double logSum = log(sum) + max;
    if (label < 0) {
        if (dLogits != 0) {
            for (int c = 0; c < classes; c++) dLogits[b * classes + c] = NAN;
        }
        *correct = 0;
        return NAN;
    }
    if (dLogits != 0) {
        for (int c = 0; c < classes; c++) {
            double p = exp((double)l[c] - logSum);
            dLogits[b * classes + c] = (float)((p - (c == label ? 1.0 : 0.0)) * gradScale);
        }
    }
    *correct = argmax == label ? 1 : 0;
    return logSum - l[label];
}

// jrnn_softmax_xent's block-level code as bodies, so that the host tools and the fake driver run
// the very reduction the GPU runs (same per-thread partial sums, same tree order).
// Phase 1, thread t of n: the loss and correct count of samples t, t + n, ... into sLoss[t], sCorrect[t].
JRNN_HD void jrnn_xent_thread(int t, int n, int batch, int classes, const float* logits, const float* labels,
                              float gradScale, float* dLogits, double* sLoss, int* sCorrect) {
    double loss = 0;
    int correct = 0;
    for (long long b = t; b < batch; b += n) {
        int c;
        loss += jrnn_xent_row(b, classes, logits, labels, gradScale, dLogits, &c);
        correct += c;
    }
    sLoss[t] = loss;
    sCorrect[t] = correct;
}

// One step of the tree reduction, thread t, stride s: entry t gains entry t + s (t < s).
JRNN_HD void jrnn_xent_reduce(int t, unsigned int s, double* sLoss, int* sCorrect) {
    if ((unsigned int)t < s) {
        sLoss[t] += sLoss[t + s];
        sCorrect[t] += sCorrect[t + s];
    }
}

// Thread 0 after the reduction: stats (2) += [the block's loss, its correct count].
JRNN_HD void jrnn_xent_finish(const double* sLoss, const int* sCorrect, float* stats) {
    stats[0] = (float)((double)stats[0] + sLoss[0]);
    stats[1] = (float)((double)stats[1] + (double)sCorrect[0]);
}

#ifdef __CUDACC__
// probs (rows, cols) = row softmax of logits (rows, cols); one thread per row.
extern "C" __global__ void jrnn_softmax_rows(int rows, int cols, const float* logits, float* probs) {
    JRNN_FOR_EACH(r, rows) jrnn_softmax_row(r, cols, logits, probs);
}

// Fused softmax + cross-entropy over logits (B, C), labels (B) as floats; dLogits (B, C) or null;
// stats (2) accumulates [sum of losses, number correct].
// NB: launched as ONE block of JRNN_BLOCK threads (a power of two): the sums are reduced in a fixed
// tree order, so results are deterministic run to run (no float atomics). Batches are small
// (hundreds to a few thousand rows of ~10 classes), so one block is not the bottleneck.
extern "C" __global__ void jrnn_softmax_xent(int batch, int classes, const float* logits, const float* labels,
                                             float gradScale, float* dLogits, float* stats) {
    __shared__ double sLoss[JRNN_BLOCK];
    __shared__ int sCorrect[JRNN_BLOCK];
    jrnn_xent_thread(threadIdx.x, blockDim.x, batch, classes, logits, labels, gradScale, dLogits, sLoss, sCorrect);
    __syncthreads();
    for (unsigned int s = blockDim.x / 2; s > 0; s >>= 1) {
        jrnn_xent_reduce(threadIdx.x, s, sLoss, sCorrect);
        __syncthreads();
    }
    if (threadIdx.x == 0) jrnn_xent_finish(sLoss, sCorrect, stats);
}
#endif
