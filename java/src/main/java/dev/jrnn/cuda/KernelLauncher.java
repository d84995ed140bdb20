package dev.jrnn.cuda;

import static dev.jrnn.cuda.Driver.check;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import dev.jrnn.backend.Activation;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;

/**
 * jrnn's own CUDA kernels ({@code native/*.cu}): loaded from the jar's resources with
 * {@code cuModuleLoadData}, looked up by name, launched on the backend's stream. Each launcher
 * lays out the kernel's parameters in the order of its {@code extern "C"} signature.
 */
final class KernelLauncher implements AutoCloseable {
    /** Where the build puts the modules, as classpath resources. */
    static final String RESOURCE_DIR = "/dev/jrnn/cuda/kernels/";

    /** Module (= .cu file) to the kernels it defines; KernelResourcesTest checks the built PTX has each. */
    static final Map<String, List<String>> FUNCTIONS;

    static {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("dropout", List.of("jrnn_dropout"));
        m.put("softmax", List.of("jrnn_softmax_rows", "jrnn_softmax_xent"));
        m.put("elementwise", List.of("jrnn_fill", "jrnn_bias_activation", "jrnn_activation_backward",
                "jrnn_bias_gradient", "jrnn_last_step", "jrnn_last_step_backward", "jrnn_gather_rows", "jrnn_scatter_rows", "jrnn_segments",
                "jrnn_swap_major"));
        m.put("adam", List.of("jrnn_adam"));
        m.put("rnn", List.of("jrnn_lstm_step", "jrnn_gru_step", "jrnn_lstm_step_backward", "jrnn_gru_step_backward", "jrnn_copy"));
        FUNCTIONS = java.util.Collections.unmodifiableMap(m);
    }

    /** Threads per block: JRNN_BLOCK in native/common.cuh (jrnn_softmax_xent's shared arrays are that long). */
    static final int BLOCK = 256;
    /** Grid-stride kernels need no more blocks than this to fill any current GPU. */
    static final int MAX_GRID = 65535;
    /** Blocks per row of jrnn_segments; its rows run side by side, and each block strides over its row. */
    static final int SEGMENT_BLOCKS = 64;

    /** Activation codes of native/common.cuh (JRNN_ACT_*). */
    static int activationCode(Activation a) {
        return switch (a) {
            case LINEAR -> 0;
            case RELU -> 1;
            case TANH -> 2;
            case SIGMOID -> 3;
            case SOFTMAX -> throw new IllegalArgumentException("softmax is not an element-wise activation");
        };
    }

    /** Null when every module's PTX is in the jar, else what is missing. */
    static String missingResources() {
        List<String> missing = new ArrayList<>();
        for (String module : FUNCTIONS.keySet()) {
            if (KernelLauncher.class.getResource(RESOURCE_DIR + module + ".ptx") == null) missing.add(module + ".ptx");
        }
        if (missing.isEmpty()) return null;
        return "jrnn's CUDA kernels are not in this build (missing " + String.join(", ", missing) + " under "
                + RESOURCE_DIR + "): it was built without nvcc; rebuild where nvcc is installed "
                + "(/usr/local/cuda/bin/nvcc, or -Pcuda-kernels -Djrnn.nvcc=PATH)";
    }

    private final CudaContext ctx;
    private final List<CUmodule> modules = new ArrayList<>();
    /** The functions' raw handles, for {@link PanamaDriver#LAUNCH}. */
    private final Map<String, MemorySegment> handles = new HashMap<>();
    /** jrnn_scatter_rows(int rows, int width, int n, const float *src, const float *index, float *dst) */
    void scatterRows(int rows, int width, int n, long src, long index, long dst) {
        long work = (long) rows * width;
        if (work > 0) launch("jrnn_scatter_rows", grid(work), BLOCK, rows, width, n, src, index, dst);
    }

    /**
     * A launch's parameter values, 8 bytes each, and the pointers to them cuLaunchKernel takes
     * (fixed; the driver copies the values at launch). NB: one launch at a time, like the backend's
     * one thread at a time: two threads launching at once would mix their parameters.
     */
    private final Arena launchArena = Arena.ofShared();
    private final MemorySegment values = launchArena.allocate(8L * MAX_PARAMS, 8);
    private final MemorySegment pointers = launchArena.allocate(ValueLayout.ADDRESS, MAX_PARAMS);
    /** No kernel takes more parameters. */
    static final int MAX_PARAMS = 16;
    /** Which image each module was loaded from (fatbin or ptx), for {@code jrnn info}. */
    final Map<String, String> loadedFrom = new LinkedHashMap<>();

    KernelLauncher(CudaContext ctx) {
        this.ctx = ctx;
        String missing = missingResources();
        if (missing != null) throw new CudaUnavailableException(missing);
        for (int i = 0; i < MAX_PARAMS; i++) pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(8L * i, 8));
        ctx.makeCurrent();
        try {
            for (var e : FUNCTIONS.entrySet()) {
                CUmodule module = load(e.getKey());
                for (String fn : e.getValue()) {
                    CUfunction f = new CUfunction();
                    check(cuModuleGetFunction(f, module, fn), "cuModuleGetFunction(" + e.getKey() + ", " + fn + ")");
                    handles.put(fn, MemorySegment.ofAddress(Driver.nativeHandle(f)));
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Loads the fatbin (SASS for the GPUs it was built for, else the driver JITs its PTX), and
     * falls back to the plain PTX when the fatbin is absent or refused.
     */
    private CUmodule load(String module) {
        List<String> errors = new ArrayList<>();
        for (String ext : new String[] {".fatbin", ".ptx"}) {
            byte[] image = resource(module + ext);
            if (image == null) continue;
            if (ext.equals(".ptx")) image = java.util.Arrays.copyOf(image, image.length + 1);   // NUL-terminated text
            CUmodule m = new CUmodule();
            int rc = cuModuleLoadData(m, image);
            if (rc == CUresult.CUDA_SUCCESS) {
                modules.add(m);
                loadedFrom.put(module, module + ext);
                return m;
            }
            errors.add("cuModuleLoadData(" + module + ext + ") failed: " + CUresult.stringFor(rc));
        }
        throw new CudaUnavailableException("jrnn's CUDA kernels did not load: " + String.join("; ", errors)
                + " (their PTX is ISA 9.0 from nvcc 13 and needs a CUDA 13 driver; this one is "
                + Driver.versionString(Driver.status().driverVersion()) + ")");
    }

    private static byte[] resource(String name) {
        try (InputStream in = KernelLauncher.class.getResourceAsStream(RESOURCE_DIR + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new CudaUnavailableException("cannot read kernel resource " + RESOURCE_DIR + name + ": " + e.getMessage(), e);
        }
    }

    // ---- launchers: one per kernel, parameters in the kernel's order -------------------------

    private static int grid(long work) {
        return (int) Math.max(1, Math.min(MAX_GRID, (work + BLOCK - 1) / BLOCK));
    }

    private void launch(String name, int grid, int block, Object... args) {
        launchGrid(name, grid, 1, block, args);
    }

    /**
     * Test hook (KernelParamsTest): sees each launch's kernel name and arguments, whose Java types
     * must be the kernel's PTX parameter types; null (no hook) outside that test.
     */
    static volatile java.util.function.BiConsumer<String, Object[]> launchObserver;

    // NB: not an overload of launch: an int argument would bind to gridY
    private void launchGrid(String name, int grid, int gridY, int block, Object[] args) {
        if (args.length > MAX_PARAMS) throw new IllegalArgumentException(name + ": more than " + MAX_PARAMS + " parameters");
        var observer = launchObserver;
        if (observer != null) observer.accept(name, args);
        for (int i = 0; i < args.length; i++) {
            long at = 8L * i;
            switch (args[i]) {
                case Integer v -> values.set(ValueLayout.JAVA_INT, at, v);
                case Long v -> values.set(ValueLayout.JAVA_LONG, at, v);       // device pointers and 64-bit integers
                case Float v -> values.set(ValueLayout.JAVA_FLOAT, at, v);
                case Double v -> values.set(ValueLayout.JAVA_DOUBLE, at, v);
                default -> throw new IllegalArgumentException("kernel argument of type " + args[i].getClass());
            }
        }
        MemorySegment f = handles.get(name);
        if (f == null) throw new IllegalStateException("kernel " + name + " is not loaded");
        ctx.makeCurrent();
        int rc;
        try {
            rc = (int) PanamaDriver.LAUNCH.invokeExact(f, grid, gridY, 1, block, 1, 1, 0,
                    MemorySegment.ofAddress(ctx.streamHandle), pointers, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("calling cuLaunchKernel through Panama failed", t);
        }
        if (rc != CUresult.CUDA_SUCCESS) {   // NB: the message only when needed: this runs on every op
            check(rc, "cuLaunchKernel(" + name + ", grid " + grid + (gridY == 1 ? "" : " x " + gridY) + ", block " + block + ")");
        }
    }

    /**
     * jrnn_segments(int count, const int *table, const float *src, float *dst): the {@code count}
     * rows of {@code table} ({from, to, length, mode} int32; mode 0 copy, 1 add, 2 zero) in one
     * launch, one row per block row; {@code longest} is the largest length.
     */
    void segments(int count, long table, long src, long dst, int longest) {
        if (count <= 0 || longest <= 0) return;
        if (count > MAX_GRID) throw new IllegalArgumentException("jrnn_segments takes at most " + MAX_GRID + " rows, found " + count);
        // NB: x sized for the longest row but capped: the short rows (biases) would launch mostly idle blocks
        launchGrid("jrnn_segments", Math.min(grid(longest), SEGMENT_BLOCKS), count, BLOCK, new Object[] {count, table, src, dst});
    }

    /** jrnn_fill(int n, float *p, float value) */
    void fill(int n, long p, float value) {
        if (n > 0) launch("jrnn_fill", grid(n), BLOCK, n, p, value);
    }

    /** jrnn_bias_activation(int rows, int cols, float *y, const float *bias, int act) */
    void biasActivation(int rows, int cols, long y, long bias, Activation act) {
        if ((long) rows * cols > 0) {
            launch("jrnn_bias_activation", grid((long) rows * cols), BLOCK, rows, cols, y, bias, activationCode(act));
        }
    }

    /** jrnn_activation_backward(int n, int act, const float *y, float *dy) */
    void activationBackward(int n, Activation act, long y, long dy) {
        if (n > 0) launch("jrnn_activation_backward", grid(n), BLOCK, n, activationCode(act), y, dy);
    }

    /** jrnn_bias_gradient(int rows, int cols, const float *dy, float *db) */
    void biasGradient(int rows, int cols, long dy, long db) {
        if (cols > 0) launch("jrnn_bias_gradient", grid(cols), BLOCK, rows, cols, dy, db);
    }

    /** jrnn_last_step(int batch, int steps, int width, const float *seq, float *out) */
    void lastStep(int batch, int steps, int width, long seq, long out) {
        long work = (long) batch * width;
        if (work > 0) launch("jrnn_last_step", grid(work), BLOCK, batch, steps, width, seq, out);
    }

    /** jrnn_last_step_backward(int batch, int steps, int width, const float *dOut, float *dSeq) */
    void lastStepBackward(int batch, int steps, int width, long dOut, long dSeq) {
        long work = (long) batch * steps * width;
        if (work > 0) launch("jrnn_last_step_backward", grid(work), BLOCK, batch, steps, width, dOut, dSeq);
    }

    /**
     * jrnn_swap_major(int a, int b, int width, const float *in, float *out): {@code out (b, a, W)}
     * is {@code in (a, b, W)} with its two outer dimensions swapped; batch-major (B, T, W) to cuDNN's
     * sequence-major (T, B, W) with (a, b) = (B, T), and back with (T, B). {@code in} and
     * {@code out} must not overlap.
     */
    void swapMajor(int a, int b, int width, long in, long out) {
        long work = (long) a * b * width;
        if (work > 0) launch("jrnn_swap_major", grid(work), BLOCK, a, b, width, in, out);
    }

    /**
     * One cell step of jrnn's LSTM or GRU (native/rnn.cu): jrnn_lstm_step(int batch, int H, int T,
     * int t, int act, int ldy, const float *xw, const float *bias, const float *rh,
     * const float *hPrev, const float *cPrev, float *h, float *c, float *y, float *gates,
     * const int *lengths) and jrnn_gru_step (the same without {@code cPrev}; {@code c} is m(t));
     * {@code y} is this direction's first feature of (B, T, ldy); {@code lengths} 0 for every
     * sequence T steps long, else (B) int32 on the device (inactive steps keep the state).
     */
    void rnnStep(boolean lstm, int batch, int units, int steps, int t, int act, int ldy, long xw, long bias, long rh,
                 long hPrev, long cPrev, long h, long c, long y, long gates, long lengths) {
        long work = (long) batch * units;
        if (work == 0) return;
        if (lstm) {
            launch("jrnn_lstm_step", grid(work), BLOCK, batch, units, steps, t, act, ldy, xw, bias, rh, hPrev, cPrev, h, c,
                    y, gates, lengths);
        } else {
            launch("jrnn_gru_step", grid(work), BLOCK, batch, units, steps, t, act, ldy, xw, bias, rh, hPrev, h, c, y, gates,
                    lengths);
        }
    }

    /**
     * jrnn_lstm_step_backward(int batch, int H, int T, int t, int act, int lddy, const float *gates,
     * const float *cPrev, const float *c, const float *dy, float *dh, float *dc, float *dgin,
     * float *dgrec, const int *lengths).
     */
    void lstmStepBackward(int batch, int units, int steps, int t, int act, int lddy, long gates, long cPrev, long c,
                          long dy, long dh, long dc, long dgin, long dgrec, long lengths) {
        long work = (long) batch * units;
        if (work > 0) {
            launch("jrnn_lstm_step_backward", grid(work), BLOCK, batch, units, steps, t, act, lddy, gates, cPrev, c, dy, dh,
                    dc, dgin, dgrec, lengths);
        }
    }

    /**
     * jrnn_gru_step_backward(int batch, int H, int T, int t, int act, int lddy, const float *gates,
     * const float *hPrev, const float *m, const float *dy, float *dh, float *dgin, float *dgrec,
     * const int *lengths).
     */
    void gruStepBackward(int batch, int units, int steps, int t, int act, int lddy, long gates, long hPrev, long m,
                         long dy, long dh, long dgin, long dgrec, long lengths) {
        long work = (long) batch * units;
        if (work > 0) {
            launch("jrnn_gru_step_backward", grid(work), BLOCK, batch, units, steps, t, act, lddy, gates, hPrev, m, dy, dh,
                    dgin, dgrec, lengths);
        }
    }

    /** jrnn_copy(int n, const float *src, float *dst) */
    void copy(int n, long src, long dst) {
        if (n > 0) launch("jrnn_copy", grid(n), BLOCK, n, src, dst);
    }

    /** jrnn_gather_rows(int rows, int width, int n, const float *src, const float *index, float *dst) */
    void gatherRows(int rows, int width, int n, long src, long index, long dst) {
        long work = (long) rows * width;
        if (work > 0) launch("jrnn_gather_rows", grid(work), BLOCK, rows, width, n, src, index, dst);
    }

    /**
     * jrnn_dropout(int n, const float *in, float *out, unsigned long long seed, unsigned long long step,
     * unsigned int salt, float rate, double scale)
     */
    void dropout(int n, long in, long out, long seed, long step, int salt, float rate, double scale) {
        if (n > 0) launch("jrnn_dropout", grid((n + 3L) / 4), BLOCK, n, in, out, seed, step, salt, rate, scale);
    }

    /** jrnn_softmax_rows(int rows, int cols, const float *logits, float *probs) */
    void softmaxRows(int rows, int cols, long logits, long probs) {
        if (rows > 0) launch("jrnn_softmax_rows", grid(rows), BLOCK, rows, cols, logits, probs);
    }

    /**
     * jrnn_softmax_xent(int batch, int classes, const float *logits, const float *labels, float gradScale,
     * float *dLogits, float *stats): one block of {@link #BLOCK} threads (the kernel reduces in a fixed order).
     */
    void softmaxXent(int batch, int classes, long logits, long labels, float gradScale, long dLogits, long stats) {
        launch("jrnn_softmax_xent", 1, BLOCK, batch, classes, logits, labels, gradScale, dLogits, stats);
    }

    /**
     * jrnn_adam(int n, float *p, const float *g, float *m, float *v, float alpha, float b1, float b2, float c1,
     * float c2, float eps)
     */
    void adam(int n, long p, long g, long m, long v, float alpha, float b1, float b2, float c1, float c2, float eps) {
        if (n > 0) launch("jrnn_adam", grid(n), BLOCK, n, p, g, m, v, alpha, b1, b2, c1, c2, eps);
    }

    @Override
    public void close() {
        ctx.makeCurrent();
        for (CUmodule m : modules) cuModuleUnload(m);
        modules.clear();
        handles.clear();
        if (launchArena.scope().isAlive()) launchArena.close();
    }
}
