package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.cpu.VectorBackend;
import dev.jrnn.data.Dataset;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.EpochMetrics;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Whole training steps, GPU against CPU, from the same initial weights and seed: the notebook's
 * model with two stacked recurrent layers (so both the first layer's "no dx" path and a second
 * layer's dx run), dropout (same Philox masks on both), Dense(64, relu), softmax loss and Adam, on
 * 256 MNIST-shaped samples in batches of 64: two epochs, eight Adam steps. Compares the second
 * epoch's loss (after four updates: at initialisation the loss is about ln 10 for almost any
 * model, so a wrong cell barely shows there), its accuracy, the last step's gradients and the
 * parameters after all eight steps.
 *
 * <p>Tolerances: on the fake device, which computes in double, against the float32 Vector backend
 * about 1e-6 relative and no outliers; on a real GPU (cuDNN's own float kernels and summation orders)
 * 1e-4 on the loss, 1e-2 relative on gradients and 1e-4 on parameters, each with at most 1-2%
 * outliers.
 */
@Tag("gpu")
class CudaTrainingStepTest {
    private static final int STEPS_PER_EPOCH = 4, EPOCHS = 2;

    @BeforeAll
    static void device() {
        GpuSupport.requireDevice();
        GpuSupport.pinCudnn();   // NB: the tanh model's step on cuDNN, never jrnn's kernels in its place
    }

    @org.junit.jupiter.api.AfterAll
    static void unpin() {
        GpuSupport.unpinCudnn();
    }

    private record Run(List<EpochMetrics> history, float[] grads, float[] params) {}

    private static Run train(Backend be, RnnSpec.Cell cell, Dataset data, Bidirectional.Merge merge) {
        Sequential model = Sequential.notebook(cell, 32, 2, Activation.TANH, 0.2, 28, 28, 10, merge);
        TrainConfig config = TrainConfig.defaults().withSeed(7).withBatchSize(data.size() / STEPS_PER_EPOCH)
                .withBucketing(data.lengths() != null);
        try (Trainer t = new Trainer(model, be, config)) {
            List<EpochMetrics> h = t.fit(data, EPOCHS, null);
            float[] g = new float[model.paramCount()];
            be.read(t.network().grads(), g, 0, g.length);
            return new Run(h, g, t.network().getParameters());
        }
    }

    @ParameterizedTest
    @EnumSource(RnnSpec.Cell.class)
    void eightStepsMatchTheCpu(RnnSpec.Cell cell) {
        compare(cell, data(false), null);
    }

    /**
     * The same with sequences of their own lengths (1 to 28, random values in the padding, batches
     * bucketed by length) through a two-layer bidirectional CONCAT stack: cuDNN's
     * {@code CUDNN_BIDIRECTIONAL} with {@code seqLengthArray} against the CPU's packed path.
     */
    @ParameterizedTest
    @EnumSource(RnnSpec.Cell.class)
    void eightBidirectionalStepsWithLengthsMatchTheCpu(RnnSpec.Cell cell) {
        compare(cell, data(true), Bidirectional.Merge.CONCAT);
    }

    private static Dataset data(boolean lengths) {
        SplittableRandom r = new SplittableRandom(99);
        int n = 256;
        float[] x = new float[n * 28 * 28];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextDouble() < 0.8 ? 0f : (float) r.nextDouble();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
        int[] len = null;
        if (lengths) {
            len = new int[n];
            for (int i = 0; i < n; i++) len[i] = i == 0 ? 1 : i == 1 ? 28 : 1 + r.nextInt(28);
        }
        return new Dataset("random", x, y, 28, 28, 10, len);
    }

    private static void compare(RnnSpec.Cell cell, Dataset data, Bidirectional.Merge merge) {
        int n = data.size();
        Run cpu, gpu;
        try (VectorBackend vec = new VectorBackend(2)) {
            cpu = train(vec, cell, data, merge);
        }
        try (CudaBackend be = CudaBackend.create()) {
            gpu = train(be, cell, data, merge);
        }
        boolean fake = NativeBuild.fakeDevice();
        // NB: the real-GPU bounds allow for eight steps of cuDNN's float summation orders feeding Adam
        double lossRel = fake ? 1e-6 : 1e-4, gradRel = fake ? 1e-5 : 1e-2, gradFloor = fake ? 1e-6 : 1e-4;
        for (int e = 0; e < EPOCHS; e++) {
            double lc = cpu.history().get(e).loss(), lg = gpu.history().get(e).loss();
            assertEquals(lc, lg, lossRel * Math.abs(lc), cell + ": loss of epoch " + (e + 1) + " (" + (lc - lg) / lc + " relative)");
            assertEquals(cpu.history().get(e).accuracy(), gpu.history().get(e).accuracy(), 1.5 / n,
                    cell + ": accuracy of epoch " + (e + 1) + " (at most one argmax tie apart)");
        }
        double gmax = 0, paramAbs = fake ? 1e-6 : 1e-4;
        for (float g : cpu.grads()) gmax = Math.max(gmax, Math.abs(g));
        int badG = 0, badP = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < cpu.grads().length; i++) {
            double gc = cpu.grads()[i], gg = gpu.grads()[i];
            if (Math.abs(gc - gg) > gradFloor * gmax + gradRel * Math.abs(gc)) {
                if (badG++ < 3) first.append(String.format(" grad[%d] cpu %.8g gpu %.8g;", i, gc, gg));
            }
            // NB: Adam moves each parameter by about lr * m / sqrt(v) per step: where a gradient is
            // tiny the backends may round it to opposite signs, a difference of up to 2 lr per step;
            // on a real GPU a few parameters (at most 2%) may differ by more than float rounding; none on the fake
            double pc = cpu.params()[i], pg = gpu.params()[i];
            if (Math.abs(pc - pg) > paramAbs) {
                if (badP++ < 3) first.append(String.format(" param[%d] cpu %.8g gpu %.8g;", i, pc, pg));
            }
        }
        System.out.println(cell + ": " + badG + " gradients, " + badP + " parameters off of " + cpu.grads().length);
        if (badG > (fake ? 0 : cpu.grads().length / 100) || badP > (fake ? 0 : cpu.params().length / 50)) {
            fail(cell + ": " + badG + " gradients and " + badP + " parameters differ of " + cpu.grads().length + ":" + first);
        }
        assertTrue(gmax > 0, "the steps computed gradients");
    }
}
