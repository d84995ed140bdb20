package dev.jrnn.backend;

import java.util.List;
import jcuda.driver.CUcontext;
import jcuda.driver.CUstream;

/**
 * One kind of backend that {@link Backends} can create: how {@code --backend NAME}, {@code auto},
 * {@link GpuBackend#open} and {@code jrnn info} reach jrnn's backends without this package
 * depending on them (the backends depend on this package, never the other way round).
 *
 * <p>Providers are found with {@link java.util.ServiceLoader}: module {@code dev.jrnn} declares its
 * own with {@code provides}, and on the class path (the CLI's shaded jar) the file
 * {@code META-INF/services/dev.jrnn.backend.BackendProvider} lists the same classes. jrnn ships
 * three: {@code cuda}, {@code cpu} and {@code reference}.
 *
 * <p>NB: the interface is public only because module-info must name it; backends from outside jrnn
 * are not supported yet, and it may change in any release.
 */
public interface BackendProvider {

    /**
     * The name {@code --backend} and {@link Backends#create} take.
     *
     * @return lower case, for example {@code cpu}
     */
    String name();

    /**
     * Where {@code auto} tries this backend: the highest first, and the first that can run wins.
     *
     * @return the priority; negative for a backend {@code auto} never picks (the reference)
     */
    int autoPriority();

    /**
     * Whether this backend can run here. May load native libraries; the outcome is kept for the
     * life of the process.
     *
     * @return null when it can, else why not, on one line short enough for {@code auto}'s log
     */
    String unavailableReason();

    /**
     * What {@code auto}'s log line says when it picks this backend.
     *
     * @return for example {@code driver, cuDNN, cuBLAS and kernels loaded}; null for nothing
     */
    default String autoReason() {
        return null;
    }

    /**
     * Creates the backend. The caller owns it and closes it.
     *
     * @param threads CPU threads, at least 1; a backend that runs elsewhere ignores it
     * @return a new backend
     * @throws UnsupportedOperationException when it cannot run here; the message names what is missing
     * @throws IllegalStateException when it is present but fails to start; the message says how
     */
    Backend create(int threads);

    /**
     * What {@code jrnn info} prints for this backend.
     *
     * @return lines such as versions, devices and library paths, or why each piece is missing
     */
    List<String> info();

    /** A backend on a GPU: what {@link GpuBackend#open} and {@link GpuBackend#attach} create. */
    interface Gpu extends BackendProvider {

        /**
         * See {@link GpuBackend#open}.
         *
         * @param device the device ordinal, 0 for the first GPU
         * @return a new backend on the device's primary context
         * @throws UnsupportedOperationException when the GPU stack is missing; the message names what
         * @throws IllegalArgumentException when there is no device {@code device}
         * @throws IllegalStateException when the GPU stack fails to start
         */
        GpuBackend open(int device);

        /**
         * See {@link GpuBackend#attach}.
         *
         * @param context the caller's context
         * @param stream  the caller's stream, or {@code null} for the legacy default stream
         * @return a new backend on the caller's context and stream
         * @throws UnsupportedOperationException when the GPU stack is missing; the message names what
         * @throws IllegalArgumentException when {@code context} is {@code null}
         * @throws IllegalStateException when the GPU stack fails to start on that context
         */
        GpuBackend attach(CUcontext context, CUstream stream);
    }
}
