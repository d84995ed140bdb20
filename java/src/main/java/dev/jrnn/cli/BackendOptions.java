package dev.jrnn.cli;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --backend} and {@code --threads}, shared by {@code train} and {@code bench}. */
final class BackendOptions {
    @Option(names = "--backend", defaultValue = "auto",
            description = "auto, cpu, cuda or reference (scalar float64, for checks) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", defaultValue = "0",
            description = "CPU threads; 0 = all available processors (default: ${DEFAULT-VALUE}).")
    int threads;

    Backend create(PrintWriter log) {
        return create(backend, threads, log);
    }

    /** Creates the named backend, logging the one-line choice to {@code log}. */
    static Backend create(String backend, int threads, PrintWriter log) {
        if (threads < 0) throw new IllegalArgumentException("--threads must be 0 or positive, found " + threads);
        return Backends.create(backend, threads, line -> {
            log.println(line);
            log.flush();
        });
    }
}
