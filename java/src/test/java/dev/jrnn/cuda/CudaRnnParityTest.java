package dev.jrnn.cuda;

import static dev.jrnn.cuda.GpuSupport.assertClose;
import static dev.jrnn.cuda.GpuSupport.get;
import static dev.jrnn.cuda.GpuSupport.put;
import static dev.jrnn.cuda.GpuSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.Network;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * cuDNN's LSTM and GRU (tanh, one layer, and four stacked) against {@link ReferenceBackend}: forward output,
 * backward-data input gradient and backward-weights parameter gradient (accumulated onto non-zero
 * values, in the canonical layout), for 32 and 64 units and batches of 1, 7 and 256. Also through
 * the packed-weights path (weights copied into cuDNN's layout and gradients mapped back) and, on
 * the fake device, with a shuffled and padded cuDNN weight layout.
 *
 * <p>With states: from random initial states hx (and cx), writing the final states hy (and cy),
 * and back-propagating gradients given for them (dhy, dcy) into dhx (and dcx), as cuDNN's
 * {@code hx}, {@code cx}, {@code hy}, {@code cy}, {@code dhy}, {@code dcy}, {@code dhx},
 * {@code dcx}.
 *
 * <p>Tolerances ({@code abs + rel * |expected|}) on a real GPU: y, hy, cy, dx, dhx and dcx 1e-5 +
 * 1e-4; dParams, summed over B*T terms in float, 5e-5 + 5e-4 (1e-4 + 1e-3 for the four-layer
 * stack). On the fake device, which computes in double from float inputs and stored float
 * activations: outputs 1e-7 + 1e-6; dParams (sums with cancellation) 1e-6 + 1e-5.
 */
@Tag("gpu")
class CudaRnnParityTest {
    private static final int F = 28, T = 6;
    private static final boolean FAKE = NativeBuild.fakeDevice();
    private static final double Y_ABS = FAKE ? 1e-7 : 1e-5, Y_REL = FAKE ? 1e-6 : 1e-4;
    private static final double DP_ABS = FAKE ? 1e-6 : 5e-5, DP_REL = FAKE ? 1e-5 : 5e-4;
    private static final double STACK_ABS = FAKE ? 1e-6 : 1e-4, STACK_REL = FAKE ? 1e-5 : 1e-3;
    private static CudaBackend cuda;
    private final ReferenceBackend ref = new ReferenceBackend();

    @BeforeAll
    static void open() {
        GpuSupport.requireDevice();
        GpuSupport.pinCudnn();   // NB: every backend of this class: cuDNN, never jrnn's kernels in its place
        cuda = CudaBackend.create();
    }

    @AfterAll
    static void close() {
        GpuSupport.unpinCudnn();
        if (cuda != null) cuda.close();
    }

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (int units : new int[] {32, 64}) {
                for (int batch : new int[] {1, 7, 256}) b.add(Arguments.of(cell, units, batch));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} units={1} batch={2}")
    @MethodSource("shapes")
    void forwardAndBackwardMatchTheReference(RnnSpec.Cell cell, int units, int batch) {
        check(cuda, cell, units, batch, true);
    }

    /**
     * Four stacked layers (the notebook's stacked models) through {@link Network}: every layer's
     * output feeds the next, so the upper layers' backward-data results reach the lower layers'
     * parameter gradients, which are compared for all four layers.
     */
    @ParameterizedTest(name = "4 x {0} units={1} batch={2}")
    @MethodSource("shapes")
    void fourStackedLayersMatchTheReference(RnnSpec.Cell cell, int units, int batch) {
        Sequential.Builder b = Sequential.builder().input(T, F);
        for (int l = 0; l < 4; l++) {
            b.add(cell == RnnSpec.Cell.LSTM ? new LSTM(units, Activation.TANH, true) : new GRU(units, Activation.TANH, true));
        }
        Sequential model = b.build();
        SplittableRandom r = new SplittableRandom(1000L * units + batch + cell.ordinal());
        float[] params = uniform(r, model.paramCount(), 0.3), x = uniform(r, batch * T * F, 1);
        float[] dOut = uniform(r, batch * T * units, 1);
        String what = "4 x " + cell + " H=" + units + " B=" + batch;
        try (Network gpu = new Network(model, cuda, batch); Network cpu = new Network(model, ref, batch)) {
            double[] yRef = null;
            float[] yGpu = null;
            for (Network n : new Network[] {gpu, cpu}) {
                Backend be = n == gpu ? cuda : ref;
                n.setParameters(params);
                be.fill(n.grads(), 0f);
                try (Tensor X = put(be, x); Tensor D = put(be, dOut)) {
                    Tensor y = n.forward(batch, X, true, 1, 0);
                    if (n == gpu) yGpu = get(be, y);
                    else yRef = ReferenceBackend.toArray(y);
                    n.backward(batch, D);
                }
            }
            assertClose(yRef, yGpu, Y_ABS, Y_REL, what + ": y of the top layer");
            double[] gRef = ReferenceBackend.toArray(cpu.grads());
            float[] gGpu = get(cuda, gpu.grads());
            for (int l = 0; l < 4; l++) {
                int off = model.paramOffset(l), len = model.paramCount(l);
                // NB: twice the one-layer tolerance: the lower layers' gradients pass through the upper layers'
                // float backward first (a wrong weight mapping is off by O(1), far outside either)
                assertClose(java.util.Arrays.copyOfRange(gRef, off, off + len), java.util.Arrays.copyOfRange(gGpu, off, off + len),
                        STACK_ABS, STACK_REL, what + ": dParams of layer " + l);
            }
        }
    }

    @Test
    void packedWeightsPathMatchesToo() {
        try (CudaBackend packed = GpuSupport.backendWith("jrnn.cuda.weights", "copy")) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) check(packed, cell, 32, 7, false);
        }
    }

    /**
     * Every algorithm forced ({@code -Djrnn.cuda.rnnAlgo}); the default, {@code auto}, runs every
     * other test (persist-static-small-h for all their widths). In the persistent ones LSTM runs with
     * two biases, the recurrent one held at zero: one layer, and a two-layer stack with states.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"standard", "persist-static", "persist-static-small-h"})
    void everyAlgorithmMatchesTheReference(String algo) {
        try (CudaBackend be = GpuSupport.backendWith("jrnn.cuda.rnnAlgo", algo)) {
            assertTrue(be.description().contains("RNN algorithm " + algo), be.description());
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                check(be, cell, 32, 7, true);
                checkStates(be, cell, 16, 3, 2, true);
            }
        }
    }

    /**
     * Under {@code auto}, wherever cuDNN refuses the persistent algorithm (making a plan, in forward,
     * in backward data, in backward weights) the pass runs again with the standard one, which stays
     * the choice; dParams then holds one pass's gradients, not two.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3, 4})
    void autoFallsBackToTheStandardAlgorithmWhereCudnnRefusesThePersistentOne(int where) {
        fakeRefusal(where);
        try (CudaBackend be = CudaBackend.create()) {
            assertTrue(be.description().contains("persist-static-small-h up to 128 units"), be.description());
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) check(be, cell, 32, 7, true);
            assertTrue(be.description().contains("standard (cuDNN refused persist-static-small-h")
                    && be.description().contains("CUDNN_STATUS_NOT_SUPPORTED"), be.description());
        } finally {
            GpuSupport.fakeRefusePersistent(0);
        }
    }

    /** Makes the fake cuDNN refuse the persistent algorithms at {@code where}; skips the test elsewhere. */
    private static void fakeRefusal(int where) {
        GpuSupport.requireFakeDevice("a refusal by cuDNN");
        GpuSupport.fakeRefusePersistent(where);
    }

    @Test
    void aForcedAlgorithmCudnnRefusesSaysSo() {
        fakeRefusal(2);
        // NB: cuDNN only: under -Djrnn.cuda.rnnImpl=auto jrnn's kernels would take over (FusedRnnParityTest)
        try (CudaBackend be = GpuSupport.backendWith("jrnn.cuda.rnnAlgo", "persist-static", "jrnn.cuda.rnnImpl", "cudnn")) {
            RnnSpec spec = new RnnSpec(RnnSpec.Cell.GRU, F, 8, Activation.TANH);
            Tensor x = be.allocate(2 * T * F), p = be.allocate(spec.paramCount()), y = be.allocate(2 * T * 8);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> be.rnnInfer(spec, 2, T, x, RnnState.NONE, p, y, RnnState.NONE));
            assertTrue(e.getMessage().contains("cudnnRNNForward") && e.getMessage().contains("persist-static")
                    && e.getMessage().contains("-Djrnn.cuda.rnnAlgo=standard"), e.getMessage());
        } finally {
            GpuSupport.fakeRefusePersistent(0);
        }
    }

    /**
     * A packed LSTM (persistent algorithm: two biases) inference pass after a larger GRU one left
     * its weights in the shared packed buffer: a recurrent bias not zeroed would show.
     */
    @Test
    void aStalePackedBufferLeavesNoRecurrentBias() {
        // NB: weights=copy, so that the GRU's weights go through the shared packed buffer too
        try (CudaBackend persist = GpuSupport.backendWith("jrnn.cuda.rnnAlgo", "persist-static", "jrnn.cuda.weights", "copy")) {
            SplittableRandom r = new SplittableRandom(3);
            int batch = 4;
            RnnSpec gru = new RnnSpec(RnnSpec.Cell.GRU, F, 64, Activation.TANH), lstm = new RnnSpec(RnnSpec.Cell.LSTM, F, 32, Activation.TANH);
            Tensor x = put(persist, uniform(r, batch * T * F, 1));
            persist.rnnInfer(gru, batch, T, x, RnnState.NONE, put(persist, uniform(r, gru.paramCount(), 0.5)),
                    persist.allocate(batch * T * 64), RnnState.NONE);
            float[] p = uniform(r, lstm.paramCount(), 0.3);
            Tensor y = persist.allocate(batch * T * 32);
            persist.rnnInfer(lstm, batch, T, x, RnnState.NONE, put(persist, p), y, RnnState.NONE);
            Tensor ry = ref.allocate(batch * T * 32);
            ref.rnnForward(lstm, batch, T, put(ref, get(persist, x)), put(ref, p), ry, null);
            assertClose(ReferenceBackend.toArray(ry), get(persist, y), Y_ABS, Y_REL, "LSTM inference after GRU (persistent)");
        }
    }

    @Test
    void aShuffledCudnnWeightLayoutIsMappedBack() {
        GpuSupport.requireFakeDevice("the shuffled weight layout");
        GpuSupport.fakeShuffledCudnnLayout(true);
        try (CudaBackend shuffled = CudaBackend.create()) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                check(shuffled, cell, 32, 7, true);
                check(shuffled, cell, 16, 3, false);
            }
        } finally {
            GpuSupport.fakeShuffledCudnnLayout(false);
        }
    }

    @Test
    void thePlanCacheStaysBoundedAndKeepsPlansAPendingBackwardNeeds() {
        try (CudaBackend be = CudaBackend.create()) {
            RnnSpec spec = new RnnSpec(RnnSpec.Cell.GRU, F, 8, Activation.TANH);
            int maxB = RnnEngine.MAX_PLANS + 6;
            SplittableRandom r = new SplittableRandom(5);
            Tensor P = put(be, uniform(r, spec.paramCount(), 0.3)), x = put(be, uniform(r, maxB * T * F, 1));
            Tensor y = be.allocate(maxB * T * 8), dy = put(be, uniform(r, maxB * T * 8, 1)), dP = be.allocate(spec.paramCount());
            // batch 3 forward for training: its backward comes after many other shapes
            Tensor y3 = be.allocate(3 * T * 8);
            try (RnnTrace trace = be.rnnForward(spec, 3, T, x, P, y3)) {
                for (int b = 4; b <= maxB; b++) be.rnnInfer(spec, b, T, x, RnnState.NONE, P, y, RnnState.NONE);
                assertTrue(be.planCount() <= RnnEngine.MAX_PLANS, "plans cached: " + be.planCount());
                be.rnnBackward(trace, dy, null, dP);   // its plan was kept
            }
            Tensor rP = ref.allocate(spec.paramCount());
            Tensor ry = ref.allocate(3 * T * 8), rr = ref.allocate(3 * spec.reservePerSample(T));
            float[] xs = get(be, x), ps = get(be, P), dys = get(be, dy);
            Tensor rx = put(ref, java.util.Arrays.copyOf(xs, 3 * T * F)), rp = put(ref, ps);
            ref.rnnForward(spec, 3, T, rx, rp, ry, rr);
            ref.rnnBackward(spec, 3, T, rx, rp, ry, rr, put(ref, java.util.Arrays.copyOf(dys, 3 * T * 8)), null, rP);
            assertClose(ReferenceBackend.toArray(rP), get(be, dP), STACK_ABS, STACK_REL, "dParams after the evictions");
        }
    }

    @Test
    void inferenceModeGivesTheTrainingForwardOutputs() {
        try (CudaBackend packed = GpuSupport.backendWith("jrnn.cuda.weights", "copy")) {
            for (CudaBackend be : new CudaBackend[] {cuda, packed}) {
                for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                    RnnSpec spec = new RnnSpec(cell, F, 32, Activation.TANH);
                    int batch = 5, H = 32;
                    SplittableRandom r = new SplittableRandom(cell.ordinal() + 77);
                    float[] x = uniform(r, batch * T * F, 1), p = uniform(r, spec.paramCount(), 0.3), h0 = uniform(r, batch * H, 1);
                    Tensor X = put(be, x), P = put(be, p), HX = put(be, h0);
                    Tensor yTrain = be.allocate(batch * T * H), yInfer = be.allocate(batch * T * H), hy = be.allocate(batch * H);
                    be.rnnForward(spec, batch, T, X, RnnState.of(HX), P, yTrain, RnnState.NONE).close();
                    be.rnnInfer(spec, batch, T, X, RnnState.of(HX), P, yInfer, RnnState.of(hy));
                    float[] train = get(be, yTrain), infer = get(be, yInfer), last = get(be, hy);
                    // NB: cuDNN may pick other kernels in inference mode: equal to float rounding, not bit for bit
                    GpuSupport.assertClose(GpuSupport.toDouble(train), infer, 1e-6, 1e-5, cell + " inference y");
                    for (int b = 0; b < batch; b++) {
                        for (int u = 0; u < H; u++) assertEquals(infer[(b * T + T - 1) * H + u], last[b * H + u], cell + " hy");
                    }
                }
            }
        }
    }

    /** Runs one layer forward and backward on {@code be} and on the reference, and compares. */
    private void check(CudaBackend be, RnnSpec.Cell cell, int units, int batch, boolean withDx) {
        RnnSpec spec = new RnnSpec(cell, F, units, Activation.TANH);
        String what = cell + " H=" + units + " B=" + batch + (withDx ? "" : " (no dx)");
        SplittableRandom r = new SplittableRandom(31L * units + batch + cell.ordinal());
        int P = spec.paramCount();
        float[] x = uniform(r, batch * T * F, 1), params = uniform(r, P, 0.3), dy = uniform(r, batch * T * units, 1);
        float[] dParams0 = uniform(r, P, 0.1);

        Tensor y = be.allocate(batch * T * units);
        be.fill(y, Float.NaN);
        Tensor X = put(be, x), Pm = put(be, params), dP = put(be, dParams0);
        Tensor dx = withDx ? be.allocate(batch * T * F) : null;
        if (dx != null) be.fill(dx, Float.NaN);
        float[] yGot;
        try (RnnTrace trace = be.rnnForward(spec, batch, T, X, Pm, y)) {
            yGot = get(be, y);
            be.rnnBackward(trace, put(be, dy), dx, dP);
        }

        Tensor ry = ref.allocate(batch * T * units), rRes = ref.allocate(batch * spec.reservePerSample(T));
        Tensor rX = put(ref, x), rP = put(ref, params), rdP = put(ref, dParams0), rdx = ref.allocate(batch * T * F);
        ref.rnnForward(spec, batch, T, rX, rP, ry, rRes);
        ref.rnnBackward(spec, batch, T, rX, rP, ry, rRes, put(ref, dy), rdx, rdP);

        assertClose(ReferenceBackend.toArray(ry), yGot, Y_ABS, Y_REL, what + ": y");
        if (dx != null) assertClose(ReferenceBackend.toArray(rdx), get(be, dx), Y_ABS, Y_REL, what + ": dx");
        assertClose(ReferenceBackend.toArray(rdP), get(be, dP), DP_ABS, DP_REL, what + ": dParams");
        for (Tensor t : new Tensor[] {y, X, Pm, dP}) t.close();
        if (dx != null) dx.close();
    }

    static Stream<Arguments> stateShapes() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (int units : new int[] {32, 64}) {
                for (int batch : new int[] {1, 7}) b.add(Arguments.of(cell, units, batch));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} units={1} batch={2}")
    @MethodSource("stateShapes")
    void statesMatchTheReference(RnnSpec.Cell cell, int units, int batch) {
        checkStates(cuda, cell, units, batch, 1, true);
    }

    /** A stack of two layers in one op: states (layers, B, H), every gradient, against the reference. */
    @ParameterizedTest(name = "2 x {0} units={1} batch={2}")
    @MethodSource("stateShapes")
    void aStackWithStatesMatchesTheReference(RnnSpec.Cell cell, int units, int batch) {
        checkStates(cuda, cell, units, batch, 2, true);
    }

    /**
     * A backward pass without dy (null: what a layer returning only its last step passes, its
     * gradient in dhy) on cuDNN and on jrnn's kernels, a single layer and a stack, against the
     * reference's.
     */
    @ParameterizedTest(name = "{0} layers={1}")
    @CsvSource({"LSTM, 1", "GRU, 1", "LSTM, 2", "GRU, 2"})
    void finalStateGradientsWithoutDy(RnnSpec.Cell cell, int layers) {
        checkStates(cuda, cell, 32, 7, layers, false);
        try (CudaBackend jrnn = GpuSupport.backendWith("jrnn.cuda.rnnImpl", "jrnn")) {
            checkStates(jrnn, cell, 32, 7, layers, false);
            checkStates(jrnn, cell, 32, 9, layers, false);              // a larger batch: zeros grown, not reused short
        }
    }

    @Test
    void statesThroughPackedWeights() {
        try (CudaBackend packed = GpuSupport.backendWith("jrnn.cuda.weights", "copy")) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) { checkStates(packed, cell, 32, 7, 1, true); checkStates(packed, cell, 32, 7, 3, true); }
        }
    }

    @Test
    void statesThroughShuffledWeights() {
        GpuSupport.requireFakeDevice("the shuffled weight layout");
        GpuSupport.fakeShuffledCudnnLayout(true);
        try (CudaBackend shuffled = CudaBackend.create()) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) { checkStates(shuffled, cell, 16, 3, 1, true); checkStates(shuffled, cell, 16, 3, 3, true); }
        } finally {
            GpuSupport.fakeShuffledCudnnLayout(false);
        }
    }

    /**
     * One layer forward and backward with every state argument given (dy too, or null where
     * {@code withDy} is false), on {@code be} and on the reference.
     */
    private void checkStates(CudaBackend be, RnnSpec.Cell cell, int units, int batch, int layers, boolean withDy) {
        RnnSpec spec = new RnnSpec(cell, F, units, Activation.TANH, layers);
        boolean lstm = cell == RnnSpec.Cell.LSTM;
        String what = cell + " H=" + units + " B=" + batch + " layers=" + layers + " with states" + (withDy ? "" : ", no dy");
        SplittableRandom r = new SplittableRandom(77L * units + batch + cell.ordinal() + 1000L * layers);
        int P = spec.paramCount(), S = layers * batch * units;
        float[] x = uniform(r, batch * T * F, 1), params = uniform(r, P, 0.3), dy = uniform(r, batch * T * units, 1);
        float[] hx = uniform(r, S, 1), cx = lstm ? uniform(r, S, 2) : null;
        float[] dhy = uniform(r, S, 1), dcy = lstm ? uniform(r, S, 1) : null, dParams0 = uniform(r, P, 0.1);

        Tensor X = put(be, x), Pm = put(be, params), dP = put(be, dParams0);
        Tensor HX = put(be, hx), CX = lstm ? put(be, cx) : null;
        Tensor y = nans(be, batch * T * units), hy = nans(be, S), cy = lstm ? nans(be, S) : null;
        Tensor dx = nans(be, batch * T * F), dhx = nans(be, S), dcx = lstm ? nans(be, S) : null;
        try (RnnTrace trace = be.rnnForward(spec, batch, T, X, RnnState.of(HX, CX), Pm, y, RnnState.of(hy, cy))) {
            be.rnnBackward(trace, withDy ? put(be, dy) : null, RnnState.of(put(be, dhy), lstm ? put(be, dcy) : null), dx,
                    RnnState.of(dhx, dcx), dP);
        }

        Tensor rX = put(ref, x), rP = put(ref, params), rdP = put(ref, dParams0);
        Tensor rHX = put(ref, hx), rCX = lstm ? put(ref, cx) : null;
        Tensor ry = ref.allocate(batch * T * units), rhy = ref.allocate(S), rcy = lstm ? ref.allocate(S) : null;
        Tensor rRes = ref.allocate(batch * spec.reservePerSample(T));
        Tensor rdx = ref.allocate(batch * T * F), rdhx = ref.allocate(S), rdcx = lstm ? ref.allocate(S) : null;
        ref.rnnForward(spec, batch, T, rX, rHX, rCX, rP, ry, rhy, rcy, rRes);
        ref.rnnBackward(spec, batch, T, rX, rHX, rCX, rP, ry, rRes, withDy ? put(ref, dy) : null, put(ref, dhy),
                lstm ? put(ref, dcy) : null, rdx, rdhx, rdcx, rdP);

        assertClose(ReferenceBackend.toArray(ry), get(be, y), Y_ABS, Y_REL, what + ": y");
        assertClose(ReferenceBackend.toArray(rhy), get(be, hy), Y_ABS, Y_REL, what + ": hy");
        if (lstm) assertClose(ReferenceBackend.toArray(rcy), get(be, cy), Y_ABS, Y_REL, what + ": cy");
        assertClose(ReferenceBackend.toArray(rdx), get(be, dx), Y_ABS, Y_REL, what + ": dx");
        assertClose(ReferenceBackend.toArray(rdhx), get(be, dhx), Y_ABS, Y_REL, what + ": dhx");
        if (lstm) assertClose(ReferenceBackend.toArray(rdcx), get(be, dcx), Y_ABS, Y_REL, what + ": dcx");
        assertClose(ReferenceBackend.toArray(rdP), get(be, dP), DP_ABS, DP_REL, what + ": dParams");
        for (Tensor t : new Tensor[] {X, Pm, dP, HX, CX, y, hy, cy, dx, dhx, dcx}) if (t != null) t.close();
    }

    private static Tensor nans(CudaBackend be, int n) {
        Tensor t = be.allocate(n);
        be.fill(t, Float.NaN);
        return t;
    }

    @Test
    void stateArgumentsAreChecked() {
        RnnSpec gru = new RnnSpec(RnnSpec.Cell.GRU, 4, 3, Activation.TANH);
        Tensor t = cuda.allocate(1000), s = cuda.allocate(6), small = cuda.allocate(5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cuda.rnnForward(gru, 2, 3, t, RnnState.of(null, s), t, t, RnnState.NONE));
        assertTrue(e.getMessage().contains("GRU has no cell state") && e.getMessage().contains("cx"), e.getMessage());
        try (RnnTrace trace = cuda.rnnForward(gru, 2, 3, t, t, t)) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> cuda.rnnBackward(trace, t, RnnState.of(null, s), null, RnnState.NONE, t));
            assertTrue(e.getMessage().contains("GRU has no cell state") && e.getMessage().contains("dcy"), e.getMessage());
        }
        e = assertThrows(IllegalArgumentException.class,
                () -> cuda.rnnForward(gru, 2, 3, t, RnnState.of(small), t, t, RnnState.NONE));
        assertTrue(e.getMessage().contains("hx (B, H)") && e.getMessage().contains("needs 6 elements, found 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> cuda.rnnForward(gru, 2, 3, t, RnnState.of(new ReferenceBackend().allocate(6)), t, t, RnnState.NONE));
        assertTrue(e.getMessage().contains("its own tensors"), e.getMessage());
        for (Tensor a : new Tensor[] {t, s, small}) a.close();
    }

    @Test
    void aTraceIsUsedByItsOwnBackendWhileOpen() {
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.GRU, 4, 3, Activation.TANH);
        Tensor t = cuda.allocate(1000);
        RnnTrace trace = cuda.rnnForward(spec, 2, 3, t, t.slice(0, spec.paramCount()), t.slice(500, 18));
        trace.close();
        assertTrue(trace.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cuda.rnnBackward(trace, t, null, t));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        trace.close();   // a second close does nothing
        ReferenceBackend other = new ReferenceBackend();
        try (RnnTrace cpu = other.rnnForward(spec, 2, 3, other.allocate(24), other.allocate(spec.paramCount()), other.allocate(18))) {
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> cuda.rnnBackward(cpu, t, null, t));
            assertTrue(wrong.getMessage().contains("not from this CUDA backend"), wrong.getMessage());
        }
        t.close();
    }
}
