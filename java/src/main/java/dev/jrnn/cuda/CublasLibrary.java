package dev.jrnn.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * cuBLAS through Panama: handle, stream, math mode and {@code cublasSgemm_v2}. Signatures and
 * enum values are those of {@code cublas_api.h} (CUDA 12.6; unchanged in 13), cited per constant.
 */
final class CublasLibrary {
    static final int CUBLAS_STATUS_SUCCESS = 0;   // cublasStatus_t
    static final int CUBLAS_OP_N = 0;             // cublasOperation_t
    static final int CUBLAS_OP_T = 1;
    static final int CUBLAS_DEFAULT_MATH = 0;     // cublasMath_t: FP32 SGEMM, no TF32 (that is CUBLAS_TF32_TENSOR_OP_MATH = 3)
    static final int MAJOR_VERSION = 0;           // libraryPropertyType (library_types.h)
    static final int MINOR_VERSION = 1;
    static final int PATCH_LEVEL = 2;

    private static final String NEEDS = "cuBLAS 12 or newer (the v2 API)";
    private static CublasLibrary loaded;
    private static CudaUnavailableException loadFailure;

    final Path file;
    final String version;
    /** libcublasLt of the same folder, loaded first so it resolves off LD_LIBRARY_PATH too; or why not. */
    final String companion;
    private final MethodHandle statusName;
    private final MethodHandle create, destroy, setStream, setMathMode, sgemm;

    /** cuBLAS as found by the process-wide search; the outcome (library or failure) is cached. */
    static synchronized CublasLibrary load() {
        if (loaded != null) return loaded;
        if (loadFailure != null) throw loadFailure;
        try {
            LibraryFinder.Found found = new LibraryFinder(LibraryFinder.systemEnvironment()).find(LibraryFinder.CUBLAS);
            loaded = open(found.file());
            return loaded;
        } catch (CudaUnavailableException e) {
            loadFailure = e;
            throw e;
        }
    }

    /** Opens and binds the cuBLAS at {@code file}; not cached. */
    static CublasLibrary open(Path file) {
        String name = file.getFileName().toString();
        String companion = null;
        int so = name.indexOf(".so");
        if (name.startsWith("libcublas") && so > 0) {
            Path lt = file.toAbsolutePath().resolveSibling("libcublasLt" + name.substring(so));
            if (Files.isRegularFile(lt)) {
                String err = NativeLibrary.preload(lt);
                companion = lt.getFileName() + (err == null ? "" : " (not loaded: " + err + ")");
            }
        }
        return new CublasLibrary(NativeLibrary.open("cuBLAS", file, LibraryFinder.CUBLAS.fileNames()), companion);
    }

    private CublasLibrary(NativeLibrary lib, String companion) {
        this.file = lib.file();
        this.companion = companion;
        // cublasStatus_t cublasGetProperty(libraryPropertyType type, int *value)
        MethodHandle property = lib.function("cublasGetProperty", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), NEEDS);
        int[] v = new int[3];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            int[] kinds = {MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL};
            for (int i = 0; i < 3; i++) {
                int st = (int) property.invokeExact(kinds[i], out);
                if (st != CUBLAS_STATUS_SUCCESS) throw new CudaException("cublasGetProperty(" + kinds[i] + ")", st, "cublasStatus");
                v[i] = out.get(JAVA_INT, 0);
            }
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasGetProperty failed", t);
        }
        version = v[0] + "." + v[1] + "." + v[2];
        if (v[0] < 12) {
            throw new CudaLibraryException("cuBLAS", CudaLibraryException.Problem.UNSUPPORTED,
                    LibraryFinder.CUBLAS.fileNames(), List.of(file.toString()),
                    "cuBLAS at " + file + " is version " + version + "; jrnn needs " + NEEDS);
        }
        // const char *cublasGetStatusName(cublasStatus_t status); optional: errors then carry the number only
        statusName = lib.has("cublasGetStatusName")
                ? lib.function("cublasGetStatusName", FunctionDescriptor.of(ADDRESS, JAVA_INT), NEEDS) : null;
        // cublasStatus_t cublasCreate_v2(cublasHandle_t *handle); cublasDestroy_v2(cublasHandle_t handle)
        create = lib.function("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS), NEEDS);
        destroy = lib.function("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS), NEEDS);
        // cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)
        setStream = lib.function("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), NEEDS);
        // cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
        setMathMode = lib.function("cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), NEEDS);
        // cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
        //     int m, int n, int k, const float *alpha, const float *A, int lda, const float *B, int ldb,
        //     const float *beta, float *C, int ldc)
        sgemm = lib.function("cublasSgemm_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS,
                JAVA_INT), NEEDS);
    }

    void check(int status, String call) {
        if (status == CUBLAS_STATUS_SUCCESS) return;
        String name = "cublasStatus " + status;
        if (statusName != null) {
            try {
                name = NativeLibrary.cString((MemorySegment) statusName.invokeExact(status));
            } catch (Throwable ignored) {
                // keep the number
            }
        }
        throw new CudaException(call, status, name);
    }

    private static IllegalStateException broken(String call, Throwable t) {
        return new IllegalStateException("calling " + call + " through Panama failed", t);
    }

    MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int st;
            try {
                st = (int) create.invokeExact(out);
            } catch (Throwable t) {
                throw broken("cublasCreate_v2", t);
            }
            check(st, "cublasCreate_v2");
            return out.get(ADDRESS, 0);
        }
    }

    void destroy(MemorySegment handle) {
        int st;
        try {
            st = (int) destroy.invokeExact(handle);
        } catch (Throwable t) {
            throw broken("cublasDestroy_v2", t);
        }
        check(st, "cublasDestroy_v2");
    }

    void setStream(MemorySegment handle, long stream) {
        int st;
        try {
            st = (int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream));
        } catch (Throwable t) {
            throw broken("cublasSetStream_v2", t);
        }
        check(st, "cublasSetStream_v2");
    }

    void setMathMode(MemorySegment handle, int mode) {
        int st;
        try {
            st = (int) setMathMode.invokeExact(handle, mode);
        } catch (Throwable t) {
            throw broken("cublasSetMathMode", t);
        }
        check(st, "cublasSetMathMode(" + mode + ")");
    }

    /**
     * Column-major {@code C = alpha op(A) op(B) + beta C}, C (m, n); {@code scalars} holds alpha at
     * float 0 and beta at float 1 in host memory (cuBLAS' default pointer mode).
     */
    void sgemm(MemorySegment handle, int transA, int transB, int m, int n, int k, MemorySegment scalars,
               long a, int lda, long b, int ldb, long c, int ldc) {
        int st;
        try {
            st = (int) sgemm.invokeExact(handle, transA, transB, m, n, k, scalars, MemorySegment.ofAddress(a), lda,
                    MemorySegment.ofAddress(b), ldb, scalars.asSlice(JAVA_FLOAT.byteSize()), MemorySegment.ofAddress(c), ldc);
        } catch (Throwable t) {
            throw broken("cublasSgemm_v2", t);
        }
        if (st != CUBLAS_STATUS_SUCCESS) {
            check(st, "cublasSgemm_v2(" + (transA == CUBLAS_OP_T ? "T" : "N") + (transB == CUBLAS_OP_T ? "T" : "N")
                    + ", m " + m + ", n " + n + ", k " + k + ", lda " + lda + ", ldb " + ldb + ", ldc " + ldc + ")");
        }
    }
}
