package dev.jrnn.cuda;

/**
 * A CUDA, cuDNN or cuBLAS call failed: names the call (with its arguments where they help) and
 * the library's error, e.g. {@code cuMemAlloc(1073741824 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)}.
 */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int code;

    public CudaException(String call, int code, String error) {
        this(call, code, error, "");
    }

    /** As {@link #CudaException(String, int, String)}, with {@code detail} after the error code. */
    protected CudaException(String call, int code, String error, String detail) {
        super(call + " failed: " + error + " (" + code + ")" + detail);
        this.call = call;
        this.code = code;
    }

    /** The failed call as written in the message. */
    public String call() {
        return call;
    }

    /** The library's numeric error code. */
    public int code() {
        return code;
    }
}
