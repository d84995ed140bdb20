package dev.jrnn.cpu;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.BackendProvider;
import java.util.List;

/**
 * {@code --backend cpu}: the Vector API backend ({@link VectorBackend}); {@code auto}'s choice
 * wherever the GPU backend cannot run. Found through {@link java.util.ServiceLoader} (module-info's
 * {@code provides}, or {@code META-INF/services} on the class path).
 */
public final class CpuBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int autoPriority() {
        return 10;
    }

    @Override
    public String unavailableReason() {
        return VECTOR_API_MISSING;
    }

    /** Null when module jdk.incubator.vector is loaded; on the class path it must be added by hand. */
    private static final String VECTOR_API_MISSING = vectorApiMissing();

    private static String vectorApiMissing() {
        try {
            Class.forName("jdk.incubator.vector.FloatVector", false, CpuBackendProvider.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException | LinkageError e) {
            return "the Vector API (module jdk.incubator.vector) is not loaded: run java with --add-modules=jdk.incubator.vector";
        }
    }

    @Override
    public Backend create(int threads) {
        if (VECTOR_API_MISSING != null) throw new UnsupportedOperationException(VECTOR_API_MISSING);
        return new VectorBackend(threads);
    }

    @Override
    public List<String> info() {
        if (VECTOR_API_MISSING != null) return List.of("cpu:          unavailable: " + VECTOR_API_MISSING);
        int cores = Runtime.getRuntime().availableProcessors();
        return List.of("cpu:          Vector API, " + VectorMath.SPECIES.vectorBitSize() + "-bit vectors of "
                + VectorMath.SPECIES.length() + " floats, " + cores + " processor" + (cores == 1 ? "" : "s")
                + " (--threads 0 uses all)");
    }
}
