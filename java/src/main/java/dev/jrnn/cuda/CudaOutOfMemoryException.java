package dev.jrnn.cuda;

import java.util.Locale;

/**
 * The GPU had no room for an allocation: the message says how much was asked for, how much the
 * device has free and in all, how much this backend already holds, and what to do about it.
 */
public class CudaOutOfMemoryException extends CudaException {
    private static final long serialVersionUID = 1L;

    private final long requested, free, total, held;

    /**
     * @param call      the failed call, with its arguments
     * @param code      the driver's error code ({@code CUDA_ERROR_OUT_OF_MEMORY})
     * @param error     the driver's error name
     * @param requested bytes asked for
     * @param free      bytes the device reported free after the failure, or -1 when unknown
     * @param total     bytes of device memory in all, or -1 when unknown
     * @param held      bytes this backend already holds from the driver
     */
    public CudaOutOfMemoryException(String call, int code, String error, long requested, long free, long total,
                                    long held) {
        super(call, code, error, explain(requested, free, total, held));
        this.requested = requested;
        this.free = free;
        this.total = total;
        this.held = held;
    }

    private static String explain(long requested, long free, long total, long held) {
        String device = free < 0 || total < 0 ? "the device's free memory is unknown"
                : "the GPU has " + mib(free) + " free of " + mib(total);
        return ": jrnn asked for " + mib(requested) + " more; " + device + ", and this backend already holds "
                + mib(held) + ". Use a smaller --batch-size or model, stop other processes using the GPU"
                + " (nvidia-smi lists them), or train with --backend cpu";
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    /** Bytes asked for. */
    public long requested() {
        return requested;
    }

    /** Bytes free on the device after the failure, or -1 when unknown. */
    public long free() {
        return free;
    }

    /** Bytes of device memory in all, or -1 when unknown. */
    public long total() {
        return total;
    }

    /** Bytes this backend held from the driver when it failed. */
    public long held() {
        return held;
    }
}
