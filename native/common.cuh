// Shared by every jrnn kernel module: integer types, activation codes and launch helpers.
//
// Conventions (DESIGN.md): all matrices row-major, float32; sizes are int (the Java interface
// uses int), products that can pass 2^31 are taken in 64 bits. Each kernel is a thin grid-stride
// wrapper over a __host__ __device__ "body" that does the work for one index, row or column, so
// tools/kernel_math_check.cu can run the very same bodies on the CPU and the Java tests can
// compare them with the reference backend on machines without a GPU.
#ifndef JRNN_COMMON_CUH
#define JRNN_COMMON_CUH

#include <stdint.h>

#ifdef __CUDACC__
#define JRNN_HD __host__ __device__ __forceinline__
#else
#define JRNN_HD inline
#endif

// Activation codes: the Java side (dev.jrnn.cuda.Kernels.activationCode) passes these;
// KernelSourceTest checks both sides agree.
#define JRNN_ACT_LINEAR 0
#define JRNN_ACT_RELU 1
#define JRNN_ACT_TANH 2
#define JRNN_ACT_SIGMOID 3

// Threads per block for the element-wise kernels; the Java launcher uses the same number.
#define JRNN_BLOCK 256

#ifdef __CUDACC__
// Grid-stride loop over [0, n): every index is visited exactly once for any grid size.
#define JRNN_FOR_EACH(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)blockDim.x * gridDim.x)
#endif

#endif  // JRNN_COMMON_CUH
