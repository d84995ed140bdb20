package dev.jrnn.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A stack of recurrent layers as one op ({@code RnnSpec.layers > 1}) on the CPU backends gives,
 * bit for bit, what the same layers give as separate one-layer ops chained by hand: outputs,
 * final states, and input, state and parameter gradients; and its parameter layout is the
 * layers' blocks one after another.
 */
class RnnStackTest {
    private static final int B = 3, T = 5, F = 6, H = 4;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String be : new String[] {"reference", "vector"}) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                for (int layers : new int[] {2, 3, 4}) {
                    for (Activation act : new Activation[] {Activation.TANH, Activation.RELU}) b.add(Arguments.of(be, cell, layers, act));
                }
            }
        }
        return b.build();
    }

    private static Backend backend(String name) {
        return name.equals("reference") ? new ReferenceBackend() : new VectorBackend(2);
    }

    private static Tensor put(Backend be, float[] v) {
        Tensor t = be.allocate(v.length);
        be.write(v, 0, t, v.length);
        return t;
    }

    private static float[] get(Backend be, Tensor t) {
        float[] out = new float[t.size()];
        be.read(t, out, 0, out.length);
        return out;
    }

    private static float[] uniform(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1) * 0.5f;
        return a;
    }

    @Test
    void aStacksParametersAreItsLayersBlocksInOrder() {
        RnnSpec stack = new RnnSpec(RnnSpec.Cell.GRU, F, H, Activation.TANH, 3);
        RnnSpec first = new RnnSpec(RnnSpec.Cell.GRU, F, H, Activation.TANH), upper = new RnnSpec(RnnSpec.Cell.GRU, H, H, Activation.TANH);
        assertEquals(first, stack.layer(0));
        assertEquals(upper, stack.layer(2));
        assertEquals(first.paramCount() + 2 * upper.paramCount(), stack.paramCount());
        assertEquals(first.paramCount() + upper.paramCount(), stack.layerOffset(2));
        assertEquals(first.reservePerSample(T) + 2 * upper.reservePerSample(T) + (2 + 2) * T * H, stack.reservePerSample(T));
        assertEquals(first.reservePerSample(T), first.layer(0).reservePerSample(T));
        assertThrows(IndexOutOfBoundsException.class, () -> stack.layer(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH, 0));
        assertTrue(e.getMessage().contains("at least 1 layer"), e.getMessage());
    }

    @ParameterizedTest(name = "{0} {1} x{2} {3}")
    @MethodSource("cases")
    void aStackIsItsLayersChained(String backendName, RnnSpec.Cell cell, int layers, Activation act) {
        Backend be = backend(backendName);
        RnnSpec stack = new RnnSpec(cell, F, H, act, layers);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        SplittableRandom r = new SplittableRandom(17L * layers + cell.ordinal() + act.ordinal());
        int state = B * H, seq = B * T * H;
        float[] x = uniform(r, B * T * F), p = uniform(r, stack.paramCount()), dy = uniform(r, seq);
        float[] hx = uniform(r, layers * state), cx = lstm ? uniform(r, layers * state) : null;
        float[] dhy = uniform(r, layers * state), dcy = lstm ? uniform(r, layers * state) : null;
        float[] dp0 = uniform(r, stack.paramCount());

        // the stack as one op
        Tensor X = put(be, x), P = put(be, p), Y = be.allocate(seq), HY = be.allocate(layers * state);
        Tensor CY = lstm ? be.allocate(layers * state) : null, HX = put(be, hx), CX = lstm ? put(be, cx) : null;
        Tensor reserve = be.allocate(B * stack.reservePerSample(T));
        Reserves.of(be).rnnForward(stack, B, T, X, HX, CX, P, Y, HY, CY, reserve);
        Tensor DX = be.allocate(B * T * F), DHX = be.allocate(layers * state), DCX = lstm ? be.allocate(layers * state) : null;
        Tensor DP = put(be, dp0);
        Reserves.of(be).rnnBackward(stack, B, T, X, HX, CX, P, Y, reserve, put(be, dy), put(be, dhy), lstm ? put(be, dcy) : null,
                DX, DHX, DCX, DP);

        // the same layers, one op each, chained by hand
        Tensor[] ins = new Tensor[layers], outs = new Tensor[layers], reserves = new Tensor[layers];
        float[] hy = new float[layers * state], cy = new float[layers * state];
        float[] dhx = new float[layers * state], dcx = new float[layers * state], dp = dp0.clone();
        Tensor in = put(be, x);
        for (int l = 0; l < layers; l++) {
            RnnSpec s = stack.layer(l);
            ins[l] = in;
            outs[l] = be.allocate(seq);
            reserves[l] = be.allocate(B * s.reservePerSample(T));
            Tensor hyl = be.allocate(state), cyl = lstm ? be.allocate(state) : null;
            Reserves.of(be).rnnForward(s, B, T, in, put(be, slice(hx, l * state, state)), lstm ? put(be, slice(cx, l * state, state)) : null,
                    put(be, slice(p, stack.layerOffset(l), s.paramCount())), outs[l], hyl, cyl, reserves[l]);
            System.arraycopy(get(be, hyl), 0, hy, l * state, state);
            if (lstm) System.arraycopy(get(be, cyl), 0, cy, l * state, state);
            in = outs[l];
        }
        Tensor dOut = put(be, dy);
        for (int l = layers - 1; l >= 0; l--) {
            RnnSpec s = stack.layer(l);
            Tensor dIn = be.allocate(B * T * s.inputSize()), dhxl = be.allocate(state), dcxl = lstm ? be.allocate(state) : null;
            Tensor dpl = put(be, slice(dp, stack.layerOffset(l), s.paramCount()));
            Reserves.of(be).rnnBackward(s, B, T, ins[l], put(be, slice(hx, l * state, state)), lstm ? put(be, slice(cx, l * state, state)) : null,
                    put(be, slice(p, stack.layerOffset(l), s.paramCount())), outs[l], reserves[l], dOut,
                    put(be, slice(dhy, l * state, state)), lstm ? put(be, slice(dcy, l * state, state)) : null, dIn, dhxl, dcxl, dpl);
            System.arraycopy(get(be, dhxl), 0, dhx, l * state, state);
            if (lstm) System.arraycopy(get(be, dcxl), 0, dcx, l * state, state);
            System.arraycopy(get(be, dpl), 0, dp, stack.layerOffset(l), s.paramCount());
            dOut = dIn;
        }

        String what = backendName + " " + cell + " x" + layers + " " + act.keyword();
        assertArrayEquals(get(be, outs[layers - 1]), get(be, Y), what + ": y");
        assertArrayEquals(hy, get(be, HY), what + ": hy");
        if (lstm) assertArrayEquals(cy, get(be, CY), what + ": cy");
        assertArrayEquals(get(be, dOut), get(be, DX), what + ": dx");
        assertArrayEquals(dhx, get(be, DHX), what + ": dhx");
        if (lstm) assertArrayEquals(dcx, get(be, DCX), what + ": dcx");
        assertArrayEquals(dp, get(be, DP), what + ": dParams");

        // inference (no reserve) gives the training outputs
        Tensor Y2 = be.allocate(seq), HY2 = be.allocate(layers * state);
        Reserves.of(be).rnnForward(stack, B, T, X, HX, CX, P, Y2, HY2, null, null);
        assertArrayEquals(get(be, Y), get(be, Y2), what + ": inference y");
        assertArrayEquals(get(be, HY), get(be, HY2), what + ": inference hy");
    }

    @Test
    void aTooSmallReserveOrStateSaysWhatAStackNeeds() {
        Backend be = new VectorBackend(1);
        RnnSpec stack = new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH, 2);
        Tensor x = be.allocate(B * T * F), p = be.allocate(stack.paramCount()), y = be.allocate(B * T * H);
        Tensor small = be.allocate(B * stack.layer(0).reservePerSample(T));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Reserves.of(be).rnnForward(stack, B, T, x, p, y, small));
        assertTrue(e.getMessage().contains("reserve") && e.getMessage().contains(String.valueOf(B * stack.reservePerSample(T))),
                e.getMessage());
        Tensor hx = be.allocate(B * H);
        e = assertThrows(IllegalArgumentException.class,
                () -> Reserves.of(be).rnnForward(stack, B, T, x, hx, null, p, y, null, null, null));
        assertTrue(e.getMessage().contains("hx (layers, B, H)") && e.getMessage().contains(String.valueOf(2 * B * H)), e.getMessage());
    }

    private static float[] slice(float[] a, int from, int len) {
        return java.util.Arrays.copyOfRange(a, from, from + len);
    }
}
