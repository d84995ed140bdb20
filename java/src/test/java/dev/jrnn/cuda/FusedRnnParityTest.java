package dev.jrnn.cuda;

import static dev.jrnn.cuda.GpuSupport.assertClose;
import static dev.jrnn.cuda.GpuSupport.get;
import static dev.jrnn.cuda.GpuSupport.put;
import static dev.jrnn.cuda.GpuSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnState;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.cpu.VectorBackend;
import dev.jrnn.data.Dataset;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.EpochMetrics;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * jrnn's own LSTM/GRU kernels ({@code native/rnn.cu}, {@link FusedRnn}) against
 * {@link ReferenceBackend}: tanh and relu cells, one layer and a stack of four, 32 and 64 units,
 * batches 1, 7 and 256, from random initial states, every output poisoned with NaN first: y, hy,
 * cy, dx, dhx, dcx and the parameter gradients (accumulated onto non-zero values). Relu cells run
 * here under the default {@code -Djrnn.cuda.rnnImpl=auto}; tanh cells with {@code jrnn}. Then a
 * whole training step of the notebook's relu model, GPU against CPU.
 *
 * <p>Tolerances ({@code abs + rel * |expected|}): y, states and dx 1e-5 + 1e-4; dParams 5e-5 +
 * 5e-4, twice that for the four-layer stack (float sums over B*T terms).
 */
@Tag("gpu")
class FusedRnnParityTest {
    private static final int F = 28, T = 6;
    private static CudaBackend auto, jrnn;
    private final ReferenceBackend ref = new ReferenceBackend();

    @BeforeAll
    static void open() {
        GpuSupport.requireDevice();
        auto = CudaBackend.create();
        jrnn = GpuSupport.backendWith("jrnn.cuda.rnnImpl", "jrnn");
    }

    @AfterAll
    static void close() {
        if (auto != null) auto.close();
        if (jrnn != null) jrnn.close();
    }

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            for (Activation act : new Activation[] {Activation.RELU, Activation.TANH}) {
                for (int layers : new int[] {1, 4}) {
                    for (int units : new int[] {32, 64}) {
                        for (int batch : new int[] {1, 7, 256}) b.add(Arguments.of(cell, act, layers, units, batch));
                    }
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{2} x {0} {1} units={3} batch={4}")
    @MethodSource("shapes")
    void matchesTheReference(RnnSpec.Cell cell, Activation act, int layers, int units, int batch) {
        check(act == Activation.RELU ? auto : jrnn, new RnnSpec(cell, F, units, act, layers), batch, true, true);
    }

    @Test
    void withoutStatesOrDx() {
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) check(auto, new RnnSpec(cell, F, 16, Activation.RELU, 2), 3, false, true);
    }

    /** Forward and backward on {@code be} against the reference; {@code fusedTrace}: the forward pass's trace is jrnn's. */
    private void check(CudaBackend be, RnnSpec spec, int batch, boolean states, boolean fusedTrace) {
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        int units = spec.units(), S = spec.layers() * batch * units, P = spec.paramCount();
        String what = spec + " B=" + batch + (states ? "" : " (no states, no dx)");
        SplittableRandom r = new SplittableRandom(31L * units + batch + 7L * spec.layers() + spec.cell().ordinal()
                + 100L * spec.activation().ordinal());
        float[] x = uniform(r, batch * T * F, 1), params = uniform(r, P, 0.3), dy = uniform(r, batch * T * units, 1);
        float[] hx = uniform(r, S, 1), cx = uniform(r, S, 1), dhy = uniform(r, S, 1), dcy = uniform(r, S, 1);
        float[] dParams0 = uniform(r, P, 0.1);

        Tensor X = put(be, x), Pm = put(be, params), dP = put(be, dParams0);
        Tensor HX = states ? put(be, hx) : null, CX = states && lstm ? put(be, cx) : null;
        Tensor y = nans(be, batch * T * units), hy = states ? nans(be, S) : null, cy = states && lstm ? nans(be, S) : null;
        Tensor dx = states ? nans(be, batch * T * F) : null, dhx = states ? nans(be, S) : null;
        Tensor dcx = states && lstm ? nans(be, S) : null;
        try (RnnTrace trace = be.rnnForward(spec, batch, T, X, RnnState.of(HX, CX), Pm, y, RnnState.of(hy, cy))) {
            assertEquals(fusedTrace, trace instanceof FusedRnn.Trace, what + ": whose trace (jrnn's kernels or cuDNN)");
            be.rnnBackward(trace, put(be, dy), states ? RnnState.of(put(be, dhy), lstm ? put(be, dcy) : null) : RnnState.NONE,
                    dx, RnnState.of(dhx, dcx), dP);
        }

        Tensor rX = put(ref, x), rP = put(ref, params), rdP = put(ref, dParams0);
        Tensor rHX = states ? put(ref, hx) : null, rCX = states && lstm ? put(ref, cx) : null;
        Tensor ry = ref.allocate(batch * T * units), rhy = ref.allocate(S), rcy = lstm ? ref.allocate(S) : null;
        Tensor rdx = ref.allocate(batch * T * F), rdhx = ref.allocate(S), rdcx = lstm ? ref.allocate(S) : null;
        Tensor rRes = ref.allocate(batch * spec.reservePerSample(T));
        ref.rnnForward(spec, batch, T, rX, rHX, rCX, rP, ry, rhy, rcy, rRes);
        ref.rnnBackward(spec, batch, T, rX, rHX, rCX, rP, ry, rRes, put(ref, dy), states ? put(ref, dhy) : null,
                states && lstm ? put(ref, dcy) : null, rdx, rdhx, rdcx, rdP);

        double pAbs = spec.layers() > 1 ? 1e-4 : 5e-5, pRel = spec.layers() > 1 ? 1e-3 : 5e-4;
        assertClose(ReferenceBackend.toArray(ry), get(be, y), 1e-5, 1e-4, what + ": y");
        if (states) {
            assertClose(ReferenceBackend.toArray(rhy), get(be, hy), 1e-5, 1e-4, what + ": hy");
            if (lstm) assertClose(ReferenceBackend.toArray(rcy), get(be, cy), 1e-5, 1e-4, what + ": cy");
            assertClose(ReferenceBackend.toArray(rdx), get(be, dx), 1e-5, 1e-4, what + ": dx");
            assertClose(ReferenceBackend.toArray(rdhx), get(be, dhx), 1e-5, 1e-4, what + ": dhx");
            if (lstm) assertClose(ReferenceBackend.toArray(rdcx), get(be, dcx), 1e-5, 1e-4, what + ": dcx");
        }
        assertClose(ReferenceBackend.toArray(rdP), get(be, dP), pAbs, pRel, what + ": dParams");
        for (Tensor t : new Tensor[] {X, Pm, dP, HX, CX, y, hy, cy, dx, dhx, dcx}) if (t != null) t.close();
    }

    private static Tensor nans(CudaBackend be, int n) {
        Tensor t = be.allocate(n);
        be.fill(t, Float.NaN);
        return t;
    }

    @Test
    void theSettingIsParsedAndNamedInTheDescription() {
        assertEquals(CudaBackend.IMPL_AUTO, CudaBackend.rnnImplementation(null));
        assertEquals(CudaBackend.IMPL_CUDNN, CudaBackend.rnnImplementation(" cuDNN "));
        assertEquals(CudaBackend.IMPL_JRNN, CudaBackend.rnnImplementation("jrnn"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaBackend.rnnImplementation("fast"));
        assertTrue(e.getMessage().contains("auto, cudnn or jrnn"), e.getMessage());
        assertTrue(auto.description().contains("jrnn's kernels for relu cells"), auto.description());
        assertTrue(jrnn.description().contains("jrnn's kernels for every cell"), jrnn.description());
        try (CudaBackend cudnnOnly = GpuSupport.backendWith("jrnn.cuda.rnnImpl", "cudnn")) {
            RnnSpec relu = new RnnSpec(RnnSpec.Cell.GRU, 4, 3, Activation.RELU);
            Tensor t = cudnnOnly.allocate(1000);
            UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                    () -> cudnnOnly.rnnForward(relu, 1, 2, t, t, t));
            assertTrue(u.getMessage().contains("tanh only"), u.getMessage());
        }
    }

    /**
     * Under {@code -Djrnn.cuda.rnnImpl=auto}, wherever cuDNN refuses a tanh layer (here a forced
     * persistent algorithm the fake refuses, in forward or in backward data), jrnn's kernels run
     * it instead of failing, from then on, and the description says so.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {2, 3})
    void autoRunsWhatCudnnRefusesOnJrnnsKernels(int where) {
        if (!GpuSupport.fakeRefusePersistent(where)) {
            System.out.println("SKIPPED: a refusal by cuDNN is made on the fake device only");
            org.junit.jupiter.api.Assumptions.abort("a refusal by cuDNN is made on the fake device only");
        }
        try (CudaBackend be = GpuSupport.backendWith("jrnn.cuda.rnnAlgo", "persist-static")) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                RnnSpec spec = new RnnSpec(cell, F, 16, Activation.TANH, 2);
                check(be, spec, 3, true, where == 2);
                assertTrue(be.description().contains("for what cuDNN refused"), be.description());
                check(be, spec, 3, true, true);   // from now on on jrnn's kernels from the start
            }
        } finally {
            GpuSupport.fakeRefusePersistent(0);
        }
    }

    private record Step(EpochMetrics metrics, float[] params) {}

    private static Step step(dev.jrnn.backend.Backend be, RnnSpec.Cell cell, Dataset data) {
        Sequential model = Sequential.notebook(cell, 32, 2, Activation.RELU, 0.2, 28, 28, 10);
        try (Trainer t = new Trainer(model, be, TrainConfig.defaults().withSeed(7).withBatchSize(64))) {
            List<EpochMetrics> h = t.fit(data, 1, null);
            return new Step(h.get(0), t.network().getParameters());
        }
    }

    /** Three steps of the notebook's relu model (two stacked layers, dropout, Adam), GPU against CPU. */
    @Test
    void threeTrainingStepsOfTheReluModelMatchTheCpu() {
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            SplittableRandom r = new SplittableRandom(5);
            int n = 3 * 64;
            float[] x = new float[n * 28 * 28];
            int[] labels = new int[n];
            for (int i = 0; i < x.length; i++) x[i] = r.nextDouble() < 0.8 ? 0f : (float) r.nextDouble();
            for (int i = 0; i < n; i++) labels[i] = r.nextInt(10);
            Dataset data = new Dataset("random", x, labels, 28, 28, 10);
            Step cpu, gpu;
            try (VectorBackend vec = new VectorBackend(2)) {
                cpu = step(vec, cell, data);
            }
            gpu = step(auto, cell, data);
            assertEquals(cpu.metrics().loss(), gpu.metrics().loss(), 1e-5 * Math.abs(cpu.metrics().loss()), cell + " loss");
            double[] want = new double[cpu.params().length];
            for (int i = 0; i < want.length; i++) want[i] = cpu.params()[i];
            // Adam moves each parameter by about lr per step: where a gradient is tiny the two may round apart
            assertClose(want, gpu.params(), 1e-5, 1e-4, cell + " parameters after three Adam steps");
        }
    }
}
