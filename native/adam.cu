// Adam in Keras form over flat buffers (DESIGN.md "Math conventions"):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= alpha * m / (sqrt(v) + eps)
// with alpha = lr * sqrt(1 - b2^t) / (1 - b1^t) computed once on the host in double and rounded
// to float, as dev.jrnn.cpu.VectorBackend does.
#include "common.cuh"
#include <math.h>

// NB: every operation rounded on its own (no FMA contraction) and in the CPU backend's order, so
// the GPU update is bit-identical to VectorBackend's for the same inputs.
JRNN_HD float jrnn_mul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}

JRNN_HD float jrnn_add_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}

JRNN_HD float jrnn_sub_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fsub_rn(a, b);
#else
    return a - b;
#endif
}

JRNN_HD float jrnn_div_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}

JRNN_HD float jrnn_sqrt_rn(float a) {
#ifdef __CUDA_ARCH__
    return __fsqrt_rn(a);
#else
    return sqrtf(a);
#endif
}

// Body: parameter i. p, g, m, v (n); c1 = 1 - b1 and c2 = 1 - b2 rounded to float by the caller.
JRNN_HD void jrnn_adam_element(long long i, float* p, const float* g, float* m, float* v, float alpha,
                               float b1, float b2, float c1, float c2, float eps) {
    float gi = g[i];
    float mi = jrnn_add_rn(jrnn_mul_rn(m[i], b1), jrnn_mul_rn(gi, c1));
    float vi = jrnn_add_rn(jrnn_mul_rn(v[i], b2), jrnn_mul_rn(jrnn_mul_rn(gi, gi), c2));
    m[i] = mi;
    v[i] = vi;
    p[i] = jrnn_sub_rn(p[i], jrnn_div_rn(jrnn_mul_rn(mi, alpha), jrnn_add_rn(jrnn_sqrt_rn(vi), eps)));
}

#ifdef __CUDACC__
// One Adam step over n parameters: p, g, m, v (n).
extern "C" __global__ void jrnn_adam(int n, float* p, const float* g, float* m, float* v, float alpha, float b1,
                                     float b2, float c1, float c2, float eps) {
    JRNN_FOR_EACH(i, n) jrnn_adam_element(i, p, g, m, v, alpha, b1, b2, c1, c2, eps);
}
#endif
