package dev.jrnn.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The two driver calls made on every op, {@code cuLaunchKernel} and {@code cuCtxGetCurrent}, bound
 * through Panama to the {@code libcuda.so.1} JCuda has already loaded: JCuda marshals a launch's
 * parameters through JNI objects at about 4.7 us a launch, jrnn's launch through this binding with
 * the parameters kept in native memory costs about 0.25 us (both measured against the fake
 * driver). Everything else stays with JCuda. Signatures are those of {@code cuda.h} (CUDA 12 and
 * 13). NB: the symbols are looked up in libcuda itself, so an {@code LD_PRELOAD} shim that
 * interposes the driver API (GPU-sharing layers, tracers) sees JCuda's calls but not these two.
 */
@SuppressWarnings("restricted")
final class PanamaDriver {
    private PanamaDriver() {}

    /**
     * CUresult cuLaunchKernel(CUfunction f, unsigned gridDimX, unsigned gridDimY, unsigned gridDimZ,
     * unsigned blockDimX, unsigned blockDimY, unsigned blockDimZ, unsigned sharedMemBytes,
     * CUstream hStream, void **kernelParams, void **extra)
     */
    static final MethodHandle LAUNCH;
    /** CUresult cuCtxGetCurrent(CUcontext *pctx) */
    static final MethodHandle CTX_GET_CURRENT;

    static {
        // NB: the driver JCuda linked, found the same way (dlopen of the same name); it is loaded, so this cannot fail
        SymbolLookup cuda = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        Linker linker = Linker.nativeLinker();
        LAUNCH = linker.downcallHandle(cuda.find("cuLaunchKernel").orElseThrow(), FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        CTX_GET_CURRENT = linker.downcallHandle(cuda.find("cuCtxGetCurrent").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** The calling thread's current context, 0 for none. {@code out} holds one pointer. */
    static long currentContext(MemorySegment out) {
        int rc;
        try {
            rc = (int) CTX_GET_CURRENT.invokeExact(out);
        } catch (Throwable t) {
            throw new IllegalStateException("calling cuCtxGetCurrent through Panama failed", t);
        }
        Driver.check(rc, "cuCtxGetCurrent");
        return out.get(ADDRESS, 0).address();
    }
}
