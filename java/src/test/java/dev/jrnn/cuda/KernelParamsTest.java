package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Java launchers ({@link KernelLauncher}, whose values {@link PanamaDriver#LAUNCH} hands to
 * cuLaunchKernel) pass each kernel exactly the parameters its built PTX declares: the same count,
 * and per parameter the same kind and width ({@code .u32}/{@code .s32} from an {@code Integer},
 * {@code .u64} from a {@code Long} (pointers, 64-bit integers), {@code .f32} from a {@code Float},
 * {@code .f64} from a {@code Double}). A wrong type is a silent garbage value on a GPU, and the fake
 * driver reads arguments by the kernels' C signatures, so only this comparison catches it.
 */
@Tag("gpu")
class KernelParamsTest {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)\\s+(?:\\.align\\s+\\d+\\s+)?\\w+");

    /** Kernel name to its parameter types as the PTX of the jar's modules declares them. */
    static Map<String, List<String>> ptxParams() throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        for (String module : KernelLauncher.FUNCTIONS.keySet()) {
            try (InputStream in = KernelLauncher.class.getResourceAsStream(KernelLauncher.RESOURCE_DIR + module + ".ptx")) {
                assertNotNull(in, "no " + module + ".ptx in the build");
                String ptx = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                Matcher m = ENTRY.matcher(ptx);
                while (m.find()) {
                    List<String> types = new ArrayList<>();
                    Matcher p = PARAM.matcher(m.group(2));
                    while (p.find()) types.add(p.group(1));
                    out.put(m.group(1), types);
                }
            }
        }
        return out;
    }

    /** The PTX parameter type class a Java launch argument fills. */
    static String kind(Object arg) {
        return switch (arg) {
            case Integer i -> "32-bit integer";
            case Long l -> "64-bit integer or pointer";
            case Float f -> "f32";
            case Double d -> "f64";
            default -> "unsupported " + arg.getClass().getSimpleName();
        };
    }

    static String kindOfPtx(String type) {
        return switch (type) {
            case "u32", "s32", "b32" -> "32-bit integer";
            case "u64", "s64", "b64" -> "64-bit integer or pointer";
            case "f32" -> "f32";
            case "f64" -> "f64";
            default -> "PTX ." + type;
        };
    }

    @Test
    void everyLauncherPassesThePtxParameterTypes() throws IOException {
        GpuSupport.requireDevice();
        Map<String, List<String>> ptx = ptxParams();
        for (List<String> names : KernelLauncher.FUNCTIONS.values()) {
            for (String k : names) assertTrue(ptx.containsKey(k), "kernel " + k + " is not in the PTX: " + ptx.keySet());
        }
        Map<String, List<String>> seen = new ConcurrentHashMap<>();
        KernelLauncher.launchObserver = (name, args) -> {
            List<String> kinds = new ArrayList<>();
            for (Object a : args) kinds.add(kind(a));
            seen.putIfAbsent(name, kinds);
        };
        try (CudaBackend be = GpuSupport.backendWith("jrnn.cuda.weights", "copy")) {
            exerciseEveryKernel(be);
        } finally {
            KernelLauncher.launchObserver = null;
        }
        for (var e : ptx.entrySet()) {
            List<String> launched = seen.get(e.getKey());
            assertNotNull(launched, "the test launched no " + e.getKey() + " (launched: " + seen.keySet() + ")");
            List<String> declared = e.getValue().stream().map(KernelParamsTest::kindOfPtx).toList();
            assertEquals(declared, launched, e.getKey() + ": PTX parameters " + e.getValue() + " against the launcher's arguments");
        }
    }

    /** One call of each op that launches one of jrnn's kernels, on small buffers. */
    private static void exerciseEveryKernel(CudaBackend be) {
        int rows = 4, cols = 10;
        Tensor a = be.allocate(rows * cols), b = be.allocate(rows * cols), bias = be.allocate(cols);   // jrnn_fill
        be.biasActivation(rows, cols, a, bias, Activation.RELU);
        be.activationBackward(rows * cols, Activation.TANH, a, b);
        be.biasGradient(rows, cols, b, bias);
        be.dropout(1, 2, 3, 0.5f, rows * cols, a, b);
        be.softmax(rows, cols, a, b);
        Tensor labels = be.allocate(rows), stats = be.allocate(2);
        be.softmaxCrossEntropy(rows, cols, a, labels, 0.25f, b, stats);
        Tensor seq = be.allocate(rows * 3 * cols), last = be.allocate(rows * cols);
        be.lastStep(rows, 3, cols, seq, last);
        be.lastStepBackward(rows, 3, cols, last, seq);
        be.gatherRows(2, cols, a, labels, b);
        be.scatterRows(2, cols, b, labels, a);
        Tensor m = be.allocate(rows * cols), v = be.allocate(rows * cols);
        be.adam(rows * cols, a, b, m, v, 1e-3f, 0.9f, 0.999f, 1e-7f, 1);
        // jrnn_segments (weights copied into cuDNN's layout, jrnn.cuda.weights=copy, and the gradients
        // back) and jrnn_swap_major (cuDNN's sequence-major data): a tanh GRU on cuDNN
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.GRU, 3, 4, Activation.TANH);
        Tensor x = be.allocate(2 * 2 * 3), p = be.allocate(spec.paramCount()), y = be.allocate(2 * 2 * 4);
        Tensor dp = be.allocate(spec.paramCount());
        try (RnnTrace trace = be.rnnForward(spec, 2, 2, x, p, y)) {
            be.rnnBackward(trace, y, null, dp);
        }
        // jrnn's own LSTM/GRU kernels (relu cells), with states and every gradient; bidirectional with
        // per-sample lengths (the kernels' device lengths and y stride)
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) for (boolean bi : new boolean[] {false, true}) {
            RnnSpec relu = new RnnSpec(cell, 3, 4, Activation.RELU, 1, bi);
            boolean lstm = cell == RnnSpec.Cell.LSTM;
            int s = relu.stateLayers() * 2 * 4;
            Tensor pr = be.allocate(relu.paramCount()), dpr = be.allocate(relu.paramCount()), dx = be.allocate(2 * 2 * 3);
            Tensor h0 = be.allocate(s), c0 = lstm ? be.allocate(s) : null, hy = be.allocate(s);
            Tensor cy = lstm ? be.allocate(s) : null, dh0 = be.allocate(s), dc0 = lstm ? be.allocate(s) : null;
            Tensor yr = be.allocate(2 * 2 * relu.outputSize());
            try (RnnTrace trace = be.rnnForward(relu, 2, 2, bi ? new int[] {1, 2} : null, x, RnnState.of(h0, c0), pr, yr,
                    RnnState.of(hy, cy))) {
                be.rnnBackward(trace, yr, RnnState.of(hy, cy), dx, RnnState.of(dh0, dc0), dpr);
            }
        }
        be.synchronize();
    }
}
