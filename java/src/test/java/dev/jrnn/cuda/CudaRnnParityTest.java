package dev.jrnn.cuda;

import static dev.jrnn.cuda.GpuSupport.assertClose;
import static dev.jrnn.cuda.GpuSupport.get;
import static dev.jrnn.cuda.GpuSupport.put;
import static dev.jrnn.cuda.GpuSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import dev.jrnn.cpu.ReferenceBackend;
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
 * cuDNN's LSTM and GRU (tanh, one layer) against {@link ReferenceBackend}: forward output,
 * backward-data input gradient and backward-weights parameter gradient (accumulated onto non-zero
 * values, in the canonical layout), for 32 and 64 units and batches of 1, 7 and 256. Also through
 * the packed-weights path (weights copied into cuDNN's layout and gradients mapped back) and, on
 * the fake device, with a shuffled and padded cuDNN weight layout.
 *
 * <p>Tolerances ({@code abs + rel * |expected|}): y and dx 1e-5 + 1e-4; dParams, summed over
 * B*T terms in float, 5e-5 + 5e-4.
 */
@Tag("gpu")
class CudaRnnParityTest {
    private static final int F = 28, T = 6;
    private static CudaBackend cuda;
    private final ReferenceBackend ref = new ReferenceBackend();

    @BeforeAll
    static void open() {
        GpuSupport.requireDevice();
        cuda = CudaBackend.create();
    }

    @AfterAll
    static void close() {
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

    @Test
    void packedWeightsPathMatchesToo() {
        String old = System.setProperty("jrnn.cuda.weights", "copy");
        try (CudaBackend packed = CudaBackend.create()) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) check(packed, cell, 32, 7, false);
        } finally {
            if (old == null) System.clearProperty("jrnn.cuda.weights");
            else System.setProperty("jrnn.cuda.weights", old);
        }
    }

    @Test
    void aShuffledCudnnWeightLayoutIsMappedBack() {
        if (!GpuSupport.fakeShuffledCudnnLayout(true)) {
            System.out.println("SKIPPED: the shuffled weight layout is a fake-device check");
            return;
        }
        try (CudaBackend shuffled = CudaBackend.create()) {
            for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                check(shuffled, cell, 32, 7, true);
                check(shuffled, cell, 16, 3, false);
            }
        } finally {
            GpuSupport.fakeShuffledCudnnLayout(false);
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
        Tensor reserve = be.allocate(batch * spec.reservePerSample(T));
        Tensor X = put(be, x), Pm = put(be, params), dP = put(be, dParams0);
        Tensor dx = withDx ? be.allocate(batch * T * F) : null;
        if (dx != null) be.fill(dx, Float.NaN);
        be.rnnForward(spec, batch, T, X, Pm, y, reserve);
        float[] yGot = get(be, y);
        be.rnnBackward(spec, batch, T, X, Pm, y, reserve, put(be, dy), dx, dP);

        Tensor ry = ref.allocate(batch * T * units), rRes = ref.allocate(batch * spec.reservePerSample(T));
        Tensor rX = put(ref, x), rP = put(ref, params), rdP = put(ref, dParams0), rdx = ref.allocate(batch * T * F);
        ref.rnnForward(spec, batch, T, rX, rP, ry, rRes);
        ref.rnnBackward(spec, batch, T, rX, rP, ry, rRes, put(ref, dy), rdx, rdP);

        assertClose(ReferenceBackend.toArray(ry), yGot, 1e-5, 1e-4, what + ": y");
        if (dx != null) assertClose(ReferenceBackend.toArray(rdx), get(be, dx), 1e-5, 1e-4, what + ": dx");
        assertClose(ReferenceBackend.toArray(rdP), get(be, dP), 5e-5, 5e-4, what + ": dParams");
        for (Tensor t : new Tensor[] {y, reserve, X, Pm, dP}) t.close();
        if (dx != null) dx.close();
    }

    @Test
    void reluCellsAreAClearError() {
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.LSTM, 4, 3, Activation.RELU);
        Tensor t = cuda.allocate(1000);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> cuda.rnnForward(spec, 1, 2, t, t, t, t));
        assertTrue(e.getMessage().contains("--backend cpu") && e.getMessage().contains("tanh"), e.getMessage());
    }

    @Test
    void backwardWithoutItsForwardIsAnError() {
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.GRU, 4, 3, Activation.TANH);
        Tensor t = cuda.allocate(1000), reserve = cuda.allocate(100);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> cuda.rnnBackward(spec, 2, 3, t, t, t, reserve, t, null, t));
        assertTrue(e.getMessage().contains("rnnForward"), e.getMessage());
        cuda.rnnForward(spec, 2, 3, t, t.slice(0, spec.paramCount()), t.slice(500, 18), reserve);
        e = assertThrows(IllegalStateException.class, () -> cuda.rnnBackward(spec, 1, 3, t, t, t, reserve, t, null, t));
        assertTrue(e.getMessage().contains("batch 2"), e.getMessage());
    }
}
