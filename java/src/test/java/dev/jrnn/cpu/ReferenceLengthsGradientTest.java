package dev.jrnn.cpu;

import static dev.jrnn.cpu.FiniteDifferences.check;
import static dev.jrnn.cpu.FiniteDifferences.dot;
import static dev.jrnn.cpu.FiniteDifferences.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Central finite differences in float64 against the reference backend's analytic gradients for
 * sequences of their own lengths and bidirectional layers (one and two layers), LSTM and GRU,
 * tanh and relu (which PyTorch's goldens cannot check). Loss
 * {@code L = sum(y * G) + sum(hy * Gh) [+ sum(cy * Gc)]} from random initial states, with G
 * random in the padding too (which must not reach any gradient); checks dx (0 in the padding),
 * dhx, dcx and dParams.
 */
class ReferenceLengthsGradientTest {
    private final ReferenceBackend be = new ReferenceBackend();

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (Activation act : new Activation[] {Activation.TANH, Activation.RELU}) {
                b.add(Arguments.of(cell, act, 1, false, new int[] {4, 1, 3}));       // lengths
                b.add(Arguments.of(cell, act, 1, true, null));                      // bidirectional, full length
                b.add(Arguments.of(cell, act, 1, true, new int[] {2, 4, 1}));       // both
                b.add(Arguments.of(cell, act, 2, true, new int[] {3, 1, 4}));       // a bidirectional stack
                b.add(Arguments.of(cell, act, 2, false, new int[] {1, 4, 2}));      // a stack
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} {1} x{2} bidirectional={3} lengths={4}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(RnnSpec.Cell cell, Activation act, int layers, boolean bidirectional,
                                         int[] lengths) {
        int B = 3, T = 4, F = 3, U = 4;
        RnnSpec spec = new RnnSpec(cell, F, U, act, layers, bidirectional);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        int OH = spec.outputSize(), S = spec.stateLayers() * B * U;
        SplittableRandom rnd = new SplittableRandom(31 * cell.ordinal() + 7 * layers + (bidirectional ? 3 : 0)
                + (act == Activation.RELU ? 101 : 0) + (lengths == null ? 0 : lengths[0]));
        double[] x = random(rnd, B * T * F, 1.0), p = random(rnd, spec.paramCount(), 0.6);
        double[] hx = random(rnd, S, 1.0), cx = lstm ? random(rnd, S, 1.5) : null;
        double[] g = random(rnd, B * T * OH, 1.0), gh = random(rnd, S, 1.0), gc = lstm ? random(rnd, S, 1.0) : null;
        Supplier<Double> loss = () -> {
            DoubleTensor y = be.allocate(B * T * OH), hy = be.allocate(S), cy = lstm ? be.allocate(S) : null;
            be.rnnForward(spec, B, T, lengths, be.of(x), be.of(hx), lstm ? be.of(cx) : null, be.of(p), y, hy, cy,
                    be.allocate(B * spec.reservePerSample(T)));
            double l = dot(ReferenceBackend.toArray(y), g) + dot(ReferenceBackend.toArray(hy), gh);
            return lstm ? l + dot(ReferenceBackend.toArray(cy), gc) : l;
        };
        DoubleTensor xt = be.of(x), pt = be.of(p), hxt = be.of(hx), cxt = lstm ? be.of(cx) : null;
        DoubleTensor y = be.allocate(B * T * OH), hy = be.allocate(S), cy = lstm ? be.allocate(S) : null;
        DoubleTensor reserve = be.allocate(B * spec.reservePerSample(T));
        be.rnnForward(spec, B, T, lengths, xt, hxt, cxt, pt, y, hy, cy, reserve);
        DoubleTensor dx = be.allocate(x.length), dp = be.allocate(p.length);
        DoubleTensor dhx = be.allocate(S), dcx = lstm ? be.allocate(S) : null;
        be.fill(dx, Float.NaN);                                 // overwritten, not accumulated
        be.fill(dhx, Float.NaN);
        if (dcx != null) be.fill(dcx, Float.NaN);
        be.rnnBackward(spec, B, T, lengths, xt, hxt, cxt, pt, y, reserve, be.of(g), be.of(gh), lstm ? be.of(gc) : null,
                dx, dhx, dcx, dp);
        double[] ys = ReferenceBackend.toArray(y), dxs = ReferenceBackend.toArray(dx);
        for (int b = 0; b < B; b++) {
            for (int t = lengths == null ? T : lengths[b]; t < T; t++) {
                for (int j = 0; j < OH; j++) assertEquals(0.0, ys[(b * T + t) * OH + j], "y past the length");
                for (int k = 0; k < F; k++) assertEquals(0.0, dxs[(b * T + t) * F + k], "dx past the length");
            }
        }
        check("dx", x, dxs, loss);
        check("dhx", hx, ReferenceBackend.toArray(dhx), loss);
        if (lstm) check("dcx", cx, ReferenceBackend.toArray(dcx), loss);
        check("dparams", p, ReferenceBackend.toArray(dp), loss);
    }
}
