package dev.jrnn.cpu;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.BackendProvider;
import java.util.List;

/**
 * {@code --backend reference}: the scalar float64 {@link ReferenceBackend}, the ground truth; only
 * when asked for by name ({@code auto} never picks it). Found through
 * {@link java.util.ServiceLoader}, as {@link CpuBackendProvider}.
 */
public final class ReferenceBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public int autoPriority() {
        return -1;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Backend create(int threads) {
        return new ReferenceBackend();
    }

    @Override
    public List<String> info() {
        return List.of("reference:    scalar float64 loops, 1 thread (the ground truth the other backends are tested against)");
    }
}
