package dev.jrnn.cpu;

import dev.jrnn.backend.Backend;

/** For the CPU backends' tests: a CPU backend's positional recurrent ops, which take the reserve directly. */
final class Reserves {
    private Reserves() {}

    static ReserveBackend of(Backend be) {
        return (ReserveBackend) be;
    }
}
