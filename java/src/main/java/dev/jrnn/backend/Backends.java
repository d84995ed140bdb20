package dev.jrnn.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Backend selection. {@code auto} picks CUDA when the driver, cuDNN, cuBLAS and jrnn's kernels
 * all load, else the Vector API CPU backend, and reports one line saying which and why;
 * {@code cpu}, {@code reference} and {@code cuda} force one. The backends are found through
 * {@link BackendProvider}s ({@link #providers()}).
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
        return provider("cpu").create(threads);
    }

    /**
     * The scalar reference backend: plain float64 loops, never optimised; the ground truth the
     * other backends are tested against, and the one to use for finite-difference checks.
     *
     * @return a new backend
     */
    public static Backend reference() {
        return provider("reference").create(1);
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
     * @throws IllegalStateException when no backend at all can run (a jar that lost jrnn's
     *         {@code META-INF/services} file)
     */
    public static Backend create(String name, int threads, Consumer<String> log) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        String wanted = name.toLowerCase(Locale.ROOT).trim();
        if (wanted.equals("auto")) return auto(n, log);
        BackendProvider p = byName().get(wanted);
        if (p == null) {
            throw new IllegalArgumentException("unknown backend '" + name + "': expected one of auto, "
                    + String.join(", ", byName().keySet().stream().sorted().toList()));
        }
        Backend b;
        try {
            b = p.create(n);
        } catch (UnsupportedOperationException | IllegalStateException e) {
            throw new UnsupportedOperationException("--backend " + wanted + ": " + e.getMessage()
                    + (wanted.equals("cpu") ? "" : "; use --backend cpu (or auto)"), e);
        }
        log.accept("backend: " + b.description());
        return b;
    }

    /** The first backend by {@link BackendProvider#autoPriority()} that can run and starts. */
    private static Backend auto(int threads, Consumer<String> log) {
        List<String> missing = new ArrayList<>();
        for (String b : Found.BROKEN) missing.add("a backend could not be loaded: " + b);
        for (BackendProvider p : providers()) {
            if (p.autoPriority() < 0) continue;
            String why = p.unavailableReason();
            if (why == null) {
                try {
                    Backend b = p.create(threads);
                    String reason = missing.isEmpty() ? p.autoReason() : String.join("; ", missing);
                    log.accept("backend: " + b.description() + " (auto" + (reason == null ? "" : ": " + reason) + ")");
                    return b;
                } catch (UnsupportedOperationException | IllegalStateException e) {
                    why = e.getMessage();
                }
            }
            missing.add(why);
        }
        throw new IllegalStateException("--backend auto: no backend can run here: "
                + (missing.isEmpty() ? "none found" + Found.HINT : String.join("; ", missing)));
    }

    /**
     * The backends of this build, as {@link java.util.ServiceLoader} finds them (module
     * {@code dev.jrnn}'s {@code provides}, or {@code META-INF/services} on the class path), in the
     * order {@code auto} tries them: by {@link BackendProvider#autoPriority()}, highest first.
     *
     * @return jrnn's backend providers (cuda, cpu and reference), found once per process
     */
    public static List<BackendProvider> providers() {
        return Found.PROVIDERS;
    }

    /** The GPU backend's provider, for {@link GpuBackend#open} and {@link GpuBackend#attach}. */
    static BackendProvider.Gpu gpu() {
        for (BackendProvider p : providers()) {
            if (p instanceof BackendProvider.Gpu g) return g;
        }
        throw new UnsupportedOperationException("no GPU backend in this build: found only " + String.join(", ", byName().keySet())
                + Found.HINT);
    }

    private static BackendProvider provider(String name) {
        BackendProvider p = byName().get(name);
        if (p == null) {
            throw new IllegalStateException("no '" + name + "' backend in this build: found "
                    + (byName().isEmpty() ? "none" : String.join(", ", byName().keySet())) + Found.HINT);
        }
        return p;
    }

    private static Map<String, BackendProvider> byName() {
        return Found.BY_NAME;
    }

    /** NB: a holder class, so the providers are looked up once, on first use. */
    private static final class Found {
        static final List<BackendProvider> PROVIDERS;
        static final Map<String, BackendProvider> BY_NAME;
        /** Why a listed provider could not be loaded, if one could not. */
        static final List<String> BROKEN = new ArrayList<>();
        static final String HINT;

        static {
            Map<String, BackendProvider> byName = new LinkedHashMap<>();
            // NB: the interface's own loader, not the thread's: the JUnit console launcher and
            // application servers load jrnn through a loader of their own
            Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class, BackendProvider.class.getClassLoader()).iterator();
            while (BROKEN.size() < 10) {   // NB: a broken entry is skipped (and said), not fatal to the others
                try {
                    if (!it.hasNext()) break;
                    BackendProvider p = it.next();
                    byName.putIfAbsent(p.name(), p);   // NB: the same jar twice on a class path lists them twice
                } catch (ServiceConfigurationError e) {
                    BROKEN.add(e.getMessage());
                }
            }
            HINT = " (jrnn's backends are listed in module dev.jrnn's 'provides' and, for the class path, in META-INF/services/"
                    + BackendProvider.class.getName() + "; a shaded or merged jar must keep that file: maven-shade-plugin's"
                    + " ServicesResourceTransformer" + (BROKEN.isEmpty() ? "" : "; could not load: " + String.join("; ", BROKEN)) + ")";
            List<BackendProvider> sorted = new ArrayList<>(byName.values());
            sorted.sort(Comparator.comparingInt(BackendProvider::autoPriority).reversed()
                    .thenComparing(BackendProvider::name));
            PROVIDERS = List.copyOf(sorted);
            Map<String, BackendProvider> ordered = new LinkedHashMap<>();
            for (BackendProvider p : PROVIDERS) ordered.put(p.name(), p);
            BY_NAME = Collections.unmodifiableMap(ordered);
        }
    }
}
