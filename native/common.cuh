// Shared by every jrnn kernel module: integer types, activation codes and launch helpers.
//
// Conventions (DESIGN.md): all matrices row-major, float32; sizes are int (the Java interface
// uses int), products that can pass 2^31 are taken in 64 bits. Each kernel is a thin grid-stride
// wrapper over a __host__ __device__ "body" that does the work for one index, row or column, so
// tools/kernel_math_check.cu can run the very same bodies on the CPU and the Java tests can
// compare them with the reference backend on machines without a GPU.
#ifndef JRNN_COMMON_CUH
#define JRNN_COMMON_CUH

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define JRNN_HD __host__ __device__ __forceinline__
#else
#define JRNN_HD inline
#endif

// Activation codes: the Java side (dev.jrnn.cuda.KernelLauncher.activationCode) passes these;
// KernelSourceTest checks both sides agree.
#define JRNN_ACT_LINEAR 0
#define JRNN_ACT_RELU 1
#define JRNN_ACT_TANH 2
#define JRNN_ACT_SIGMOID 3

// Threads per block for the element-wise kernels; the Java launcher uses the same number.
#define JRNN_BLOCK 256

// act(x) for the codes in common.cuh. relu passes NaN through, as the reference does.
JRNN_HD float jrnn_activate(int act, float x) {
    switch (act) {
        case JRNN_ACT_LINEAR: return x;
        case JRNN_ACT_RELU: return x < 0.0f ? 0.0f : x;
        case JRNN_ACT_TANH: return tanhf(x);
        case JRNN_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
        default: return NAN;
    }
}

// act'(x) written through the output y = act(x); relu's derivative at 0 is 0.
JRNN_HD float jrnn_derivative(int act, float y) {
    switch (act) {
        case JRNN_ACT_LINEAR: return 1.0f;
        case JRNN_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
        case JRNN_ACT_TANH: return 1.0f - y * y;
        case JRNN_ACT_SIGMOID: return y * (1.0f - y);
        default: return NAN;
    }
}

#ifdef __CUDACC__
// Grid-stride loop over [0, n): every index is visited exactly once for any grid size.
#define JRNN_FOR_EACH(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)blockDim.x * gridDim.x)
#endif

#endif  // JRNN_COMMON_CUH
