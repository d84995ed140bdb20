package dev.jrnn.cuda;

/**
 * The CUDA backend cannot run here; the message says what is missing (driver, device, cuDNN,
 * cuBLAS or jrnn's kernels) and what was looked for.
 */
public class CudaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
