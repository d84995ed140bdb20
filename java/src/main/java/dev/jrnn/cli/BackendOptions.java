package dev.jrnn.cli;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --backend}, {@code --threads} and {@code --verbose}, shared by the commands that compute. */
final class BackendOptions {
    @Option(names = "--backend", defaultValue = "auto",
            description = "auto, cpu, cuda or reference (scalar float64, for checks) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", defaultValue = "0",
            description = "CPU threads; 0 = all available processors; more than those are capped to them"
                    + " (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = {"-v", "--verbose"}, description = "Say in full why a backend was chosen or could not start.")
    boolean verbose;

    Backend create(PrintWriter log) {
        return create(backend, threads, verbose, log);
    }

    /** The thread count the CPU backend will use: --threads capped to the available processors (0 = all). */
    int threads() {
        return effectiveThreads(threads);
    }

    static int effectiveThreads(int threads) {
        int cpus = Runtime.getRuntime().availableProcessors();
        return threads <= 0 || threads > cpus ? cpus : threads;
    }

    /**
     * Creates the named backend and logs which one in one short line ({@code verbose}: with the
     * full reason). NB: more threads than processors only adds context switches (--threads 1000
     * halved the speed), so a larger --threads is capped, with a note, rather than refused: a
     * command line written for a bigger machine still runs.
     */
    static Backend create(String backend, int threads, boolean verbose, PrintWriter log) {
        if (threads < 0) throw new IllegalArgumentException("--threads must be 0 or positive, found " + threads);
        int cpus = Runtime.getRuntime().availableProcessors();
        if (threads > cpus) {
            log.println("jrnn: --threads " + threads + " is more than the " + cpus + " available processors; using " + cpus);
        }
        try {
            return Backends.create(backend, effectiveThreads(threads), line -> {
                log.println(verbose ? line : shortLine(line));
                log.flush();
            });
        } catch (UnsupportedOperationException e) {
            if (verbose) throw e;
            throw new UnsupportedOperationException(shortCudaError(e.getMessage()), e);
        }
    }

    /**
     * The backend line with {@code auto}'s reason cut to its clauses (file lists, places looked and
     * OS messages in parentheses dropped), e.g. {@code backend: cpu (Vector API, 2 threads) (auto:
     * CUDA unavailable: cuBLAS not found; cuDNN not found)} (with a driver; without one, auto names
     * only the driver).
     */
    static String shortLine(String line) {
        int auto = line.indexOf(" (auto: ");
        if (auto < 0 || !line.endsWith(")")) return line;
        String head = line.substring(0, auto);
        return head + " (auto: " + clauses(line.substring(auto + 8, line.length() - 1), 120) + ")";
    }

    /** {@code text} without its parenthesised groups, at most {@code max} characters. */
    private static String clauses(String text, int max) {
        StringBuilder sb = new StringBuilder();
        int depth = 0;
        for (char c : text.toCharArray()) {
            if (c == '(') depth++;
            else if (c == ')') depth = Math.max(0, depth - 1);
            else if (depth == 0) sb.append(c);
        }
        String s = sb.toString().replaceAll(" +", " ").replaceAll(" ;", ";").strip();
        return s.length() > max ? s.substring(0, max - 3) + "..." : s;
    }

    /**
     * A forced {@code --backend cuda} that cannot start, in two lines: what is missing, one short
     * clause per part (the parenthesised details dropped), then what to do.
     */
    static String shortCudaError(String full) {
        if (full == null) return "--backend cuda: CUDA cannot start; use --backend cpu (or auto); --verbose says why";
        String body = full.replaceFirst("^--backend cuda: ", "").replaceFirst("; use --backend cpu \\(or auto\\)$", "");
        return "--backend cuda: " + clauses(body, 150) + "\nUse --backend cpu (or auto); --verbose says why, 'jrnn info' lists what was found.";
    }
}
