package dev.jrnn.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LSTM and GRU forward outputs and gradients against golden vectors computed by PyTorch in
 * float64 ({@code src/test/resources/golden/make_golden.py} made them). Loss: {@code sum(y * g)};
 * the {@code *_states} cases start from initial states h0 (and c0) and add
 * {@code sum(hn * ghn) [+ sum(cn * gcn)]} for the final states.
 */
class GoldenVectorTest {
    static final String[] CASES = {"lstm_tanh", "lstm_relu", "gru_tanh", "gru_relu", "lstm_tanh_wide", "gru_tanh_wide"};
    static final String[] STATE_CASES = {"lstm_tanh_states", "lstm_relu_states", "gru_tanh_states", "gru_relu_states",
            "lstm_tanh_states_h16", "gru_tanh_states_h16"};

    record Golden(Map<String, String> meta, Map<String, double[]> tensors) {
        int get(String k) {
            return Integer.parseInt(meta.get(k));
        }

        double[] t(String name) {
            return assertNotNullOr(tensors.get(name), name);
        }
    }

    static double[] assertNotNullOr(double[] v, String name) {
        assertNotNull(v, "fixture lacks tensor " + name);
        return v;
    }

    static Golden load(String name) throws IOException {
        Map<String, String> meta = new HashMap<>();
        Map<String, double[]> tensors = new HashMap<>();
        try (InputStream in = GoldenVectorTest.class.getResourceAsStream("/golden/" + name + ".txt")) {
            assertNotNull(in, "missing fixture golden/" + name + ".txt");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#")) {
                    for (String kv : line.substring(1).trim().split("\\s+")) {
                        int eq = kv.indexOf('=');
                        if (eq > 0 && !line.contains("loss =") && !line.contains("params =")) {
                            meta.put(kv.substring(0, eq), kv.substring(eq + 1));
                        }
                    }
                    continue;
                }
                String[] parts = line.trim().split("\\s+");
                int n = 1;
                for (String d : parts[1].split(",")) n *= Integer.parseInt(d);
                double[] v = new double[parts.length - 2];
                for (int i = 0; i < v.length; i++) v[i] = Double.parseDouble(parts[i + 2]);
                assertEquals(n, v.length, name + ": tensor " + parts[0] + " has the wrong element count");
                tensors.put(parts[0], v);
            }
        }
        return new Golden(meta, tensors);
    }

    static Tensor put(Backend be, double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        Tensor t = be.allocate(v.length);
        be.write(f, 0, t, v.length);
        return t;
    }

    static Tensor putExact(ReferenceBackend be, double[] v) {
        return be.of(v);
    }

    static float[] get(Backend be, Tensor t) {
        float[] f = new float[t.size()];
        be.read(t, f, 0, f.length);
        return f;
    }

    /**
     * Every element within {@code rel} of the golden value, relative to the tensor's largest
     * magnitude (so values near zero are judged at the tensor's scale).
     */
    static void assertClose(String what, double[] expected, double[] actual, double rel) {
        assertClose(what, expected, actual, rel, 1e-3);
    }

    /**
     * {@code |actual - expected| <= rel * max(|expected|, floor * scale)} for every element, where
     * scale is the tensor's largest magnitude: relative error, except that elements far below the
     * tensor's scale are judged at {@code floor} times that scale.
     */
    static void assertClose(String what, double[] expected, double[] actual, double rel, double floor) {
        assertEquals(expected.length, actual.length, what + " length");
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            assertTrue(err <= rel * Math.max(Math.abs(expected[i]), floor * scale),
                    what + "[" + i + "]: expected " + expected[i] + ", found " + actual[i] + " (tensor scale " + scale + ")");
        }
    }

    static Stream<String> cases() {
        return Stream.of(CASES);
    }

    static RnnSpec spec(Golden g) {
        return new RnnSpec(RnnSpec.Cell.parse(g.meta.get("cell")), g.get("features"), g.get("units"),
                Activation.parse(g.meta.get("activation")));
    }

    /** The reference, fed the exact float64 fixture values, matches PyTorch to 1e-9 relative. */
    @ParameterizedTest
    @MethodSource("cases")
    void referenceMatchesPyTorch(String name) throws IOException {
        Golden g = load(name);
        RnnSpec s = spec(g);
        int B = g.get("batch"), T = g.get("steps");
        ReferenceBackend be = new ReferenceBackend();
        DoubleTensor x = be.of(g.t("x")), p = be.of(g.t("params")), y = be.allocate(B * T * s.units());
        DoubleTensor reserve = be.allocate(B * s.reservePerSample(T));
        be.rnnForward(s, B, T, x, p, y, reserve);
        assertClose(name + " y", g.t("y"), ReferenceBackend.toArray(y), 1e-9);
        DoubleTensor dx = be.allocate(x.size()), dp = be.allocate(p.size());
        be.rnnBackward(s, B, T, x, p, y, reserve, be.of(g.t("g")), dx, dp);
        assertClose(name + " dx", g.t("dx"), ReferenceBackend.toArray(dx), 1e-9);
        assertClose(name + " dparams", g.t("dparams"), ReferenceBackend.toArray(dp), 1e-9);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void vectorBackendMatchesPyTorch(String name) throws IOException {
        checkFloatBackend(name, () -> new VectorBackend(2));
    }

    /**
     * A float32 backend fed the fixture rounded to float matches PyTorch's float64 to 1e-5
     * relative (1e-4 on the 28-step cases), where elements below a tenth of the tensor's largest
     * magnitude are judged at that tenth: float32 inputs alone carry 6e-8 relative error, which
     * tiny elements cannot beat.
     */
    static void checkFloatBackend(String name, Supplier<Backend> factory) throws IOException {
        Golden g = load(name);
        RnnSpec s = spec(g);
        int B = g.get("batch"), T = g.get("steps");
        double tol = name.endsWith("wide") ? 1e-4 : 1e-5;
        try (Backend be = factory.get()) {
            Tensor x = put(be, g.t("x")), p = put(be, g.t("params")), y = be.allocate(B * T * s.units());
            Tensor reserve = be.allocate(B * s.reservePerSample(T));
            Reserves.of(be).rnnForward(s, B, T, x, p, y, reserve);
            assertClose(name + " y", g.t("y"), toDouble(get(be, y)), tol, 0.1);
            Tensor dx = be.allocate(x.size()), dp = be.allocate(p.size());
            Reserves.of(be).rnnBackward(s, B, T, x, p, y, reserve, put(be, g.t("g")), dx, dp);
            assertClose(name + " dx", g.t("dx"), toDouble(get(be, dx)), tol, 0.1);
            assertClose(name + " dparams", g.t("dparams"), toDouble(get(be, dp)), tol, 0.1);
        }
    }

    static Stream<String> stateCases() {
        return Stream.of(STATE_CASES);
    }

    /** The reference, fed the exact fixture values, matches PyTorch with initial and final states to 1e-9. */
    @ParameterizedTest
    @MethodSource("stateCases")
    void referenceMatchesPyTorchWithStates(String name) throws IOException {
        ReferenceBackend be = new ReferenceBackend();
        checkStates(name, be, be::of, ReferenceBackend::toArray, 1e-9, 1e-3);
    }

    @ParameterizedTest
    @MethodSource("stateCases")
    void vectorBackendMatchesPyTorchWithStates(String name) throws IOException {
        for (int threads : new int[] {1, 2}) {
            try (VectorBackend be = new VectorBackend(threads)) {
                checkStates(name, be, v -> put(be, v), t -> toDouble(get(be, t)), 1e-5, 0.1);
            }
        }
    }

    /**
     * One forward pass from the fixture's h0 (and c0) writing the final states, and one backward
     * pass with gradients for them; y, hn, cn, dx, dh0, dc0 and dparams against the fixture,
     * within {@code rel} as {@link #assertClose(String, double[], double[], double, double)} says.
     */
    static void checkStates(String name, Backend be, Function<double[], Tensor> in, Function<Tensor, double[]> out,
                            double rel, double floor) throws IOException {
        Golden g = load(name);
        RnnSpec s = spec(g);
        boolean lstm = s.cell() == RnnSpec.Cell.LSTM;
        int B = g.get("batch"), T = g.get("steps"), H = s.units();
        Tensor x = in.apply(g.t("x")), p = in.apply(g.t("params"));
        Tensor h0 = in.apply(g.t("h0")), c0 = lstm ? in.apply(g.t("c0")) : null;
        Tensor y = be.allocate(B * T * H), hn = be.allocate(B * H), cn = lstm ? be.allocate(B * H) : null;
        Tensor reserve = be.allocate(B * s.reservePerSample(T));
        Reserves.of(be).rnnForward(s, B, T, x, h0, c0, p, y, hn, cn, reserve);
        assertClose(name + " y", g.t("y"), out.apply(y), rel, floor);
        assertClose(name + " hn", g.t("hn"), out.apply(hn), rel, floor);
        if (lstm) assertClose(name + " cn", g.t("cn"), out.apply(cn), rel, floor);
        Tensor dx = be.allocate(x.size()), dp = be.allocate(p.size());
        Tensor dh0 = be.allocate(B * H), dc0 = lstm ? be.allocate(B * H) : null;
        Reserves.of(be).rnnBackward(s, B, T, x, h0, c0, p, y, reserve, in.apply(g.t("g")), in.apply(g.t("ghn")),
                lstm ? in.apply(g.t("gcn")) : null, dx, dh0, dc0, dp);
        assertClose(name + " dx", g.t("dx"), out.apply(dx), rel, floor);
        assertClose(name + " dh0", g.t("dh0"), out.apply(dh0), rel, floor);
        if (lstm) assertClose(name + " dc0", g.t("dc0"), out.apply(dc0), rel, floor);
        assertClose(name + " dparams", g.t("dparams"), out.apply(dp), rel, floor);
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
