package dev.jrnn.backend;

import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.cpu.VectorBackend;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Backend selection. {@code auto} picks CUDA when the driver, cuDNN, cuBLAS and jrnn's kernels
 * all load, else the Vector API CPU backend, and reports one line saying which and why;
 * {@code cpu}, {@code reference} and {@code cuda} force one.
 */
public final class Backends {
    private Backends() {}

    /** The names {@link #create} accepts. */
    public static final String NAMES = "auto, cpu, cuda, reference";

    /**
     * Creates the named backend.
     *
     * @param name    auto, cpu, cuda or reference
     * @param threads CPU threads (0 = all available processors)
     * @param log     receives the one-line explanation of the choice
     * @throws IllegalArgumentException for an unknown name
     * @throws UnsupportedOperationException when {@code cuda} is forced and cannot load
     */
    public static Backend create(String name, int threads, Consumer<String> log) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return switch (name.toLowerCase(Locale.ROOT).trim()) {
            case "auto" -> {
                Backend b = new VectorBackend(n);
                log.accept("backend: " + b.description() + " (auto: " + CUDA_MISSING + ")");
                yield b;
            }
            case "cpu" -> {
                Backend b = new VectorBackend(n);
                log.accept("backend: " + b.description());
                yield b;
            }
            case "reference" -> {
                Backend b = new ReferenceBackend();
                log.accept("backend: " + b.description());
                yield b;
            }
            case "cuda" -> throw new UnsupportedOperationException("--backend cuda: " + CUDA_MISSING
                    + "; use --backend cpu (or auto)");
            default -> throw new IllegalArgumentException("unknown backend '" + name + "': expected one of " + NAMES);
        };
    }

    // NB: replaced by real driver/cuDNN/cuBLAS probing when the GPU backend lands (issue 3).
    private static final String CUDA_MISSING = "this build of jrnn has no CUDA backend yet";
}
