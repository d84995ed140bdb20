package dev.jrnn.backend;

import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.cpu.VectorBackend;
import dev.jrnn.cuda.CudaBackend;
import dev.jrnn.cuda.CudaSupport;
import dev.jrnn.cuda.CudaUnavailableException;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Backend selection. {@code auto} picks CUDA when the driver, cuDNN, cuBLAS and jrnn's kernels
 * all load, else the Vector API CPU backend, and reports one line saying which and why;
 * {@code cpu}, {@code reference} and {@code cuda} force one.
 */
public final class Backends {
    private Backends() {}

    /**
     * The Vector API CPU backend on all available processors: float32, multi-threaded over the
     * batch, deterministic for a given thread count.
     *
     * @return a new backend; close it to stop its worker threads
     */
    public static Backend cpu() {
        return cpu(Runtime.getRuntime().availableProcessors());
    }

    /**
     * The Vector API CPU backend on {@code threads} worker threads.
     *
     * @param threads worker threads, at least 1
     * @return a new backend; close it to stop its worker threads
     * @throws IllegalArgumentException when {@code threads < 1}
     */
    public static Backend cpu(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, found " + threads);
        return new VectorBackend(threads);
    }

    /**
     * The scalar reference backend: plain float64 loops, never optimised; the ground truth the
     * other backends are tested against, and the one to use for finite-difference checks.
     *
     * @return a new backend
     */
    public static Backend reference() {
        return new ReferenceBackend();
    }

    /** The names {@link #create} accepts. */
    public static final String NAMES = "auto, cpu, cuda, reference";

    /**
     * Creates the named backend. The caller owns it and closes it when done; like every backend it
     * is used by one thread at a time.
     *
     * @param name    auto, cpu, cuda or reference (any case)
     * @param threads CPU threads (0 = all available processors); ignored by cuda and reference
     * @param log     receives the one-line explanation of the choice
     * @return a new backend of the requested kind, or for {@code auto} the best one that loads
     * @throws IllegalArgumentException for an unknown name
     * @throws UnsupportedOperationException when {@code cuda} is forced and cannot load
     */
    public static Backend create(String name, int threads, Consumer<String> log) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return switch (name.toLowerCase(Locale.ROOT).trim()) {
            case "auto" -> {
                String missing = CudaSupport.unavailableSummary();
                if (missing == null) {
                    try {
                        Backend b = CudaBackend.create();
                        log.accept("backend: " + b.description() + " (auto: driver, cuDNN, cuBLAS and kernels loaded)");
                        yield b;
                    } catch (RuntimeException e) {
                        missing = "CUDA failed to start: " + e.getMessage();
                    }
                }
                Backend b = cpu(n);
                log.accept("backend: " + b.description() + " (auto: " + missing + ")");
                yield b;
            }
            case "cpu" -> {
                Backend b = cpu(n);
                log.accept("backend: " + b.description());
                yield b;
            }
            case "reference" -> {
                Backend b = reference();
                log.accept("backend: " + b.description());
                yield b;
            }
            case "cuda" -> {
                try {
                    Backend b = CudaBackend.create();
                    log.accept("backend: " + b.description());
                    yield b;
                } catch (RuntimeException e) {
                    String what = e instanceof CudaUnavailableException ? e.getMessage()
                            : "CUDA failed to start: " + e.getMessage();
                    throw new UnsupportedOperationException("--backend cuda: " + what + "; use --backend cpu (or auto)", e);
                }
            }
            default -> throw new IllegalArgumentException("unknown backend '" + name + "': expected one of " + NAMES);
        };
    }
}
