package dev.jrnn.cuda;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.BackendProvider;
import dev.jrnn.backend.GpuBackend;
import java.util.List;
import jcuda.driver.CUcontext;
import jcuda.driver.CUstream;

/**
 * {@code --backend cuda}, {@link GpuBackend#open} and {@link GpuBackend#attach}: the
 * {@link CudaBackend} on device 0, {@code auto}'s first choice when the driver, cuDNN, cuBLAS and
 * jrnn's kernels all load ({@link CudaSupport}). Found through {@link java.util.ServiceLoader}
 * (module-info's {@code provides}, or {@code META-INF/services} on the class path).
 *
 * <p>NB: nothing here loads a native library until a method is called, so listing the providers
 * costs nothing where CUDA is absent.
 */
public final class CudaBackendProvider implements BackendProvider.Gpu {

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int autoPriority() {
        return 100;
    }

    @Override
    public String unavailableReason() {
        return CudaSupport.unavailableSummary();
    }

    @Override
    public String autoReason() {
        return "driver, cuDNN, cuBLAS and kernels loaded";
    }

    @Override
    public Backend create(int threads) {
        try {
            return CudaBackend.create();
        } catch (CudaUnavailableException e) {
            throw new UnsupportedOperationException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("CUDA failed to start: " + e.getMessage(), e);
        }
    }

    @Override
    public GpuBackend open(int device) {
        return CudaBackend.open(device);
    }

    @Override
    public GpuBackend attach(CUcontext context, CUstream stream) {
        return CudaBackend.attach(context, stream);
    }

    @Override
    public List<String> info() {
        return CudaSupport.report();
    }
}
