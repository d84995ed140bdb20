// The small element-wise ops of the Dense layers and the sequence plumbing: fill, bias +
// activation, activation backward, bias-gradient column sums, last-step gather/scatter, batch- and
// sequence-major swaps, add, and
// segment copies between the canonical and cuDNN's weight layouts.
#include "common.cuh"
#include <math.h>

// Body: y[i] = act(y[i] + bias[i % cols]); y (rows, cols), bias (cols).
JRNN_HD void jrnn_bias_activation_element(long long i, int cols, float* y, const float* bias, int act) {
    y[i] = jrnn_activate(act, y[i] + bias[i % cols]);
}

// Body: dy[i] *= act'(y[i]); y, dy (n).
JRNN_HD void jrnn_activation_backward_element(long long i, int act, const float* y, float* dy) {
    dy[i] = dy[i] * jrnn_derivative(act, y[i]);
}

// Body: db[j] += sum_i dy[i, j], summed in double in row order; dy (rows, cols), db (cols).
JRNN_HD void jrnn_bias_gradient_column(long long j, int rows, int cols, const float* dy, float* db) {
    double s = 0;
    for (long long i = 0; i < rows; i++) s += dy[i * cols + j];
    db[j] = (float)((double)db[j] + s);
}

// Body: out[b, j] = seq[b, T-1, j] for flat index i = b * width + j; seq (B, T, W), out (B, W).
JRNN_HD void jrnn_last_step_element(long long i, int steps, int width, const float* seq, float* out) {
    long long b = i / width, j = i % width;
    out[i] = seq[(b * steps + steps - 1) * width + j];
}

// Body: out[j, i, k] = in[i, j, k] for flat index e of out (b, a, W); in (a, b, W). Swaps the two
// outer dimensions: batch-major (B, T, W) to sequence-major (T, B, W) (cuDNN's RNN layout, as
// PyTorch feeds it) with (a, b) = (B, T), and back with (a, b) = (T, B).
JRNN_HD void jrnn_swap_major_element(long long e, int a, int b, int width, const float* in, float* out) {
    long long k = e % width, i = (e / width) % a, j = e / ((long long)width * a);
    out[e] = in[(i * b + j) * width + k];
}

// Body: dSeq[b, t, j] = t == T-1 ? dOut[b, j] : 0 for flat index i of dSeq (B, T, W); dOut (B, W).
JRNN_HD void jrnn_last_step_backward_element(long long i, int steps, int width, const float* dOut, float* dSeq) {
    long long j = i % width, t = (i / width) % steps, b = i / ((long long)width * steps);
    dSeq[i] = t == steps - 1 ? dOut[b * width + j] : 0.0f;
}

// Body: dst[r, j] = src[index[r], j] for flat index i = r * width + j; src (n, width), index (rows)
// row numbers as floats, dst (rows, width). An index outside [0, n) gives 0 (a kernel cannot throw;
// the CPU backends reject it).
JRNN_HD void jrnn_gather_rows_element(long long i, int width, int n, const float* src, const float* index, float* dst) {
    long long r = i / width, j = i % width;
    float v = index[r];
    int row = (int)v;
    dst[i] = (v >= 0.0f && row < n && (float)row == v) ? src[(long long)row * width + j] : 0.0f;
}

// Body: dst[index[r], j] = src[r, j] for flat index i = r * width + j; src (rows, width), index
// (rows) distinct row numbers as floats, dst (n, width). An index outside [0, n) writes nothing.
JRNN_HD void jrnn_scatter_rows_element(long long i, int width, int n, const float* src, const float* index, float* dst) {
    long long r = i / width, j = i % width;
    float v = index[r];
    int row = (int)v;
    if (v >= 0.0f && row < n && (float)row == v) dst[(long long)row * width + j] = src[i];
}

// Body: element i of one segment of a segment table row seg = {from, to, length, mode} (int32):
// mode 0 dst[to + i] = src[from + i], 1 dst[to + i] += src[from + i], 2 dst[to + i] = 0.
JRNN_HD void jrnn_segment_element(const int* seg, long long i, const float* src, float* dst) {
    long long from = seg[0], to = seg[1];
    int mode = seg[3];
    float v = mode == 2 ? 0.0f : src[from + i];
    dst[to + i] = mode == 1 ? dst[to + i] + v : v;
}

#ifdef __CUDACC__
// p (n) = value.
extern "C" __global__ void jrnn_fill(int n, float* p, float value) {
    JRNN_FOR_EACH(i, n) p[i] = value;
}

// Segment s = blockIdx.y of table (count rows of int32 {from, to, length, mode}, see
// jrnn_segment_element), its elements over blockIdx.x: the weights copied into cuDNN's layout, or
// the gradients added back, in one launch instead of one per matrix.
extern "C" __global__ void jrnn_segments(int count, const int* table, const float* src, float* dst) {
    if ((int)blockIdx.y >= count) return;
    const int* seg = table + 4LL * blockIdx.y;
    JRNN_FOR_EACH(i, seg[2]) jrnn_segment_element(seg, i, src, dst);
}

// y (rows, cols) = act(y + bias (cols)).
extern "C" __global__ void jrnn_bias_activation(int rows, int cols, float* y, const float* bias, int act) {
    JRNN_FOR_EACH(i, (long long)rows * cols) jrnn_bias_activation_element(i, cols, y, bias, act);
}

// dy (n) *= act'(y (n)).
extern "C" __global__ void jrnn_activation_backward(int n, int act, const float* y, float* dy) {
    JRNN_FOR_EACH(i, n) jrnn_activation_backward_element(i, act, y, dy);
}

// db (cols) += column sums of dy (rows, cols); one thread per column (deterministic order,
// coalesced: neighbouring threads read neighbouring columns).
extern "C" __global__ void jrnn_bias_gradient(int rows, int cols, const float* dy, float* db) {
    JRNN_FOR_EACH(j, cols) jrnn_bias_gradient_column(j, rows, cols, dy, db);
}

// out (B, W) = seq (B, T, W) at t = T-1.
extern "C" __global__ void jrnn_last_step(int batch, int steps, int width, const float* seq, float* out) {
    JRNN_FOR_EACH(i, (long long)batch * width) jrnn_last_step_element(i, steps, width, seq, out);
}

// dst (rows, width) = src (n, width) at the rows index (rows) names.
extern "C" __global__ void jrnn_gather_rows(int rows, int width, int n, const float* src, const float* index,
                                            float* dst) {
    JRNN_FOR_EACH(i, (long long)rows * width) jrnn_gather_rows_element(i, width, n, src, index, dst);
}

// dst (n, width) at the rows index (rows) names = src (rows, width); the indices are distinct.
extern "C" __global__ void jrnn_scatter_rows(int rows, int width, int n, const float* src, const float* index,
                                             float* dst) {
    JRNN_FOR_EACH(i, (long long)rows * width) jrnn_scatter_rows_element(i, width, n, src, index, dst);
}

// out (b, a, W) = in (a, b, W) with the two outer dimensions swapped; in and out must not overlap.
extern "C" __global__ void jrnn_swap_major(int a, int b, int width, const float* in, float* out) {
    JRNN_FOR_EACH(e, (long long)a * b * width) jrnn_swap_major_element(e, a, b, width, in, out);
}

// dSeq (B, T, W) = dOut (B, W) at t = T-1, zero elsewhere.
extern "C" __global__ void jrnn_last_step_backward(int batch, int steps, int width, const float* dOut,
                                                   float* dSeq) {
    JRNN_FOR_EACH(i, (long long)batch * steps * width) jrnn_last_step_backward_element(i, steps, width, dOut, dSeq);
}
#endif
