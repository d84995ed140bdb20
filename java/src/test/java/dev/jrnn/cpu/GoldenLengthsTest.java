package dev.jrnn.cpu;

import static dev.jrnn.cpu.GoldenVectorTest.assertClose;
import static dev.jrnn.cpu.GoldenVectorTest.get;
import static dev.jrnn.cpu.GoldenVectorTest.load;
import static dev.jrnn.cpu.GoldenVectorTest.put;
import static dev.jrnn.cpu.GoldenVectorTest.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import java.io.IOException;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Per-sample lengths and bidirectional layers against PyTorch: {@code pack_padded_sequence}
 * (unsorted) through {@code nn.LSTM}/{@code nn.GRU} with {@code num_layers} 1 or 2 and
 * {@code bidirectional} False or True, in float64 ({@code make_golden.py}'s {@code len_*} cases).
 * The fixtures' x and g are random in the padding too, so they also check that padding is
 * neither read nor back-propagated. Runs the public {@link Backend} API (trace and all).
 */
class GoldenLengthsTest {
    static final String[] CASES = {"len_lstm", "len_gru", "len_lstm_states", "len_gru_states", "len_lstm_bi",
            "len_gru_bi", "len_lstm_bi_full", "len_gru_bi_full", "len_lstm_x2", "len_gru_x2", "len_lstm_bi_x2",
            "len_gru_bi_x2", "len_lstm_bi_h16", "len_gru_bi_h16"};

    static Stream<String> cases() {
        return Stream.of(CASES);
    }

    /** The reference, fed the exact float64 fixture, matches PyTorch to 1e-9 relative. */
    @ParameterizedTest
    @MethodSource("cases")
    void referenceMatchesPyTorch(String name) throws IOException {
        ReferenceBackend be = new ReferenceBackend();
        check(name, be, be::of, ReferenceBackend::toArray, 1e-9, 1e-3);
    }

    /** The Vector API backend, fed the fixture rounded to float, matches to 1e-5 with 1, 2 and 3 threads. */
    @ParameterizedTest
    @MethodSource("cases")
    void vectorBackendMatchesPyTorch(String name) throws IOException {
        for (int threads : new int[] {1, 2, 3}) {
            try (VectorBackend be = new VectorBackend(threads)) {
                check(name + " (" + threads + " threads)", be, v -> put(be, v), t -> toDouble(get(be, t)), 1e-5, 0.1);
            }
        }
    }

    static void check(String label, Backend be, Function<double[], Tensor> in, Function<Tensor, double[]> out,
                      double rel, double floor) throws IOException {
        String name = label.split(" ")[0];
        GoldenVectorTest.Golden g = load(name);
        RnnSpec s = new RnnSpec(RnnSpec.Cell.parse(g.meta().get("cell")), g.get("features"), g.get("units"),
                Activation.TANH, g.get("layers"), g.get("bidirectional") == 1);
        boolean lstm = s.cell() == RnnSpec.Cell.LSTM, states = g.tensors().containsKey("h0");
        int B = g.get("batch"), T = g.get("steps"), H = s.units(), S = s.stateLayers() * B * H;
        double[] lens = g.t("lengths");
        int[] lengths = new int[B];
        for (int b = 0; b < B; b++) lengths[b] = (int) lens[b];
        assertEquals(s.paramCount(), g.t("params").length, label + ": parameter count");
        Tensor x = in.apply(g.t("x")), p = in.apply(g.t("params"));
        RnnState initial = !states ? RnnState.NONE
                : RnnState.of(in.apply(g.t("h0")), lstm ? in.apply(g.t("c0")) : null);
        Tensor y = be.allocate(B * T * s.outputSize()), hn = be.allocate(S), cn = lstm ? be.allocate(S) : null;
        be.fill(y, Float.NaN);                                  // every element written, padding with 0
        Tensor dx = be.allocate(B * T * s.inputSize()), dp = be.allocate(s.paramCount());
        Tensor dh0 = be.allocate(S), dc0 = lstm ? be.allocate(S) : null;
        be.fill(dx, Float.NaN);
        try (RnnTrace trace = be.rnnForward(s, B, T, lengths, x, initial, p, y, RnnState.of(hn, cn))) {
            assertClose(label + " y", g.t("y"), out.apply(y), rel, floor);
            if (states) {
                assertClose(label + " hn", g.t("hn"), out.apply(hn), rel, floor);
                if (lstm) assertClose(label + " cn", g.t("cn"), out.apply(cn), rel, floor);
            }
            RnnState dLast = !states ? RnnState.NONE
                    : RnnState.of(in.apply(g.t("ghn")), lstm ? in.apply(g.t("gcn")) : null);
            be.rnnBackward(trace, in.apply(g.t("g")), dLast, dx, states ? RnnState.of(dh0, dc0) : RnnState.NONE, dp);
        }
        assertClose(label + " dx", g.t("dx"), out.apply(dx), rel, floor);
        if (states) {
            assertClose(label + " dh0", g.t("dh0"), out.apply(dh0), rel, floor);
            if (lstm) assertClose(label + " dc0", g.t("dc0"), out.apply(dc0), rel, floor);
        }
        assertClose(label + " dparams", g.t("dparams"), out.apply(dp), rel, floor);
        // without a trace (inference): the same outputs
        Tensor y2 = be.allocate(B * T * s.outputSize());
        be.fill(y2, Float.NaN);
        be.rnnInfer(s, B, T, lengths, x, initial, p, y2, RnnState.NONE);
        assertClose(label + " y (rnnInfer)", g.t("y"), out.apply(y2), rel, floor);
    }
}
