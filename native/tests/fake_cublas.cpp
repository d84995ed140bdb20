// A fake cuBLAS (libcublas.so.13) over the fake driver's host "device" memory: a plain
// column-major SGEMM in double with cuBLAS' argument rules (leading dimensions, beta == 0 ignores
// C), so the Java side's row-major-to-column-major mapping is checked without a GPU. Rejects any
// math mode but CUBLAS_DEFAULT_MATH: jrnn must not allow TF32. alpha and beta follow the pointer
// mode (cublasSetPointerMode): host memory in CUBLAS_POINTER_MODE_HOST, the default, device memory
// in CUBLAS_POINTER_MODE_DEVICE; the other kind is rejected. A GEMM runs at the call, after the
// work queued on the handle's stream (jrnn_fake_stream_drain).
#include "fake_cuda.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

typedef int cublasStatus_t;
enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
};

namespace {
struct Handle {
    const void* stream = nullptr;
    int mathMode = 0;
    int pointerMode = 0;   // CUBLAS_POINTER_MODE_HOST 0, CUBLAS_POINTER_MODE_DEVICE 1
};
int liveHandles = 0;
}  // namespace

extern "C" {

int jrnn_fake_cublas_live_handles(void) {
    return liveHandles;
}

cublasStatus_t cublasGetProperty(int type, int* value) {
    switch (type) {
        case 0: *value = 13; return CUBLAS_STATUS_SUCCESS;   // MAJOR_VERSION
        case 1: *value = 0; return CUBLAS_STATUS_SUCCESS;    // MINOR_VERSION
        case 2: *value = 0; return CUBLAS_STATUS_SUCCESS;    // PATCH_LEVEL
        default: return CUBLAS_STATUS_INVALID_VALUE;
    }
}

const char* cublasGetStatusName(cublasStatus_t s) {
    switch (s) {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

cublasStatus_t cublasCreate_v2(void** handle) {
    if (!jrnn_fake_context_current()) return CUBLAS_STATUS_NOT_INITIALIZED;
    *handle = new Handle();
    liveHandles++;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(void* handle) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete (Handle*)handle;
    liveHandles--;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(void* handle, void* stream) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!jrnn_fake_stream_valid(stream)) return CUBLAS_STATUS_INVALID_VALUE;
    ((Handle*)handle)->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(void* handle, int mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    ((Handle*)handle)->mathMode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetPointerMode_v2(void* handle, int mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode != 0 && mode != 1) return CUBLAS_STATUS_INVALID_VALUE;
    ((Handle*)handle)->pointerMode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetPointerMode_v2(void* handle, int* mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    *mode = ((Handle*)handle)->pointerMode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm_v2(void* handle, int transa, int transb, int m, int n, int k, const float* alpha,
                              const float* A, int lda, const float* B, int ldb, const float* beta, float* C, int ldc) {
    Handle* h = (Handle*)handle;
    if (h == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (h->mathMode != 0) return CUBLAS_STATUS_NOT_SUPPORTED;
    if (!jrnn_fake_stream_valid(h->stream) || !jrnn_fake_context_current()) return CUBLAS_STATUS_EXECUTION_FAILED;
    for (const float* s : {alpha, beta}) {
        bool device = jrnn_fake_is_device(s);
        if (s == nullptr || device != (h->pointerMode == 1)) {
            std::fprintf(stderr, "fake cuBLAS: sgemm %s %p is %s memory, but the pointer mode is %s\n",
                         s == alpha ? "alpha" : "beta", (const void*)s, device ? "device" : "host",
                         h->pointerMode == 1 ? "CUBLAS_POINTER_MODE_DEVICE" : "CUBLAS_POINTER_MODE_HOST");
            return CUBLAS_STATUS_INVALID_VALUE;
        }
        if (device && jrnn_fake_check(s, 4, "cublasSgemm alpha/beta") != 0) return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    jrnn_fake_stream_drain(h->stream);   // NB: the GEMM runs now, after the work queued before it
    if ((transa != 0 && transa != 1) || (transb != 0 && transb != 1) || m < 0 || n < 0 || k < 0) {
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    int rowsA = transa == 0 ? m : k, colsA = transa == 0 ? k : m;   // A as stored, column-major
    int rowsB = transb == 0 ? k : n, colsB = transb == 0 ? n : k;
    if (lda < std::max(1, rowsA) || ldb < std::max(1, rowsB) || ldc < std::max(1, m)) {
        std::fprintf(stderr, "fake cuBLAS: sgemm(%c%c, m %d, n %d, k %d) with lda %d, ldb %d, ldc %d\n",
                     transa ? 'T' : 'N', transb ? 'T' : 'N', m, n, k, lda, ldb, ldc);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    if ((k > 0 && (jrnn_fake_check(A, 4L * ((long)lda * (colsA - 1) + rowsA), "cublasSgemm A") != 0
                   || jrnn_fake_check(B, 4L * ((long)ldb * (colsB - 1) + rowsB), "cublasSgemm B") != 0))
        || jrnn_fake_check(C, 4L * ((long)ldc * (n - 1) + m), "cublasSgemm C") != 0) {
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    float a = *alpha, b = *beta;
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int p = 0; p < k; p++) {
                double av = transa == 0 ? A[i + (long)p * lda] : A[p + (long)i * lda];
                double bv = transb == 0 ? B[p + (long)j * ldb] : B[j + (long)p * ldb];
                s += av * bv;
            }
            float* c = &C[i + (long)j * ldc];
            *c = (float)(a * s + (b == 0.0f ? 0.0 : (double)b * *c));   // beta == 0: C is not read (may be NaN)
        }
    }
    return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"
