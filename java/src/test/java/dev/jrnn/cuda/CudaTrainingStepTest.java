package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.cpu.VectorBackend;
import dev.jrnn.data.Dataset;
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
 * One whole training step, GPU against CPU, from the same initial weights and seed: the notebook's
 * model with two stacked recurrent layers (so both the first layer's "no dx" path and a second
 * layer's dx run), dropout (same Philox masks on both), Dense(64, relu), softmax loss and Adam, on
 * 256 MNIST-shaped samples. Compares the loss, accuracy, gradients and the parameters after Adam.
 */
@Tag("gpu")
class CudaTrainingStepTest {

    @BeforeAll
    static void device() {
        GpuSupport.requireDevice();
    }

    private record Step(EpochMetrics metrics, float[] grads, float[] params) {}

    private static Step step(Backend be, RnnSpec.Cell cell, Dataset data) {
        Sequential model = Sequential.notebook(cell, 32, 2, Activation.TANH, 0.2, 28, 28, 10);
        try (Trainer t = new Trainer(model, be, TrainConfig.defaults().withSeed(7))) {
            List<EpochMetrics> h = t.fit(data, 1, null);
            float[] g = new float[model.paramCount()];
            be.read(t.network().grads(), g, 0, g.length);
            return new Step(h.get(0), g, t.network().getParameters());
        }
    }

    @ParameterizedTest
    @EnumSource(RnnSpec.Cell.class)
    void oneStepMatchesTheCpu(RnnSpec.Cell cell) {
        SplittableRandom r = new SplittableRandom(99);
        int n = 256;
        float[] x = new float[n * 28 * 28];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextDouble() < 0.8 ? 0f : (float) r.nextDouble();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
        Dataset data = new Dataset("random", x, y, 28, 28, 10);
        Step cpu, gpu;
        try (VectorBackend vec = new VectorBackend(2)) {
            cpu = step(vec, cell, data);
        }
        try (CudaBackend be = CudaBackend.create()) {
            gpu = step(be, cell, data);
        }
        assertEquals(cpu.metrics().loss(), gpu.metrics().loss(), 1e-5 * Math.abs(cpu.metrics().loss()), "loss");
        assertEquals(cpu.metrics().accuracy(), gpu.metrics().accuracy(), 1.5 / n, "accuracy (at most one argmax tie apart)");
        double gmax = 0;
        for (float g : cpu.grads()) gmax = Math.max(gmax, Math.abs(g));
        int badG = 0, badP = 0;
        for (int i = 0; i < cpu.grads().length; i++) {
            double gc = cpu.grads()[i], gg = gpu.grads()[i];
            if (Math.abs(gc - gg) > 1e-5 * gmax + 1e-3 * Math.abs(gc)) badG++;
            // Adam's first step moves each parameter by about lr * sign(g): where g is tiny the two
            // backends may round it to opposite signs, so those may differ by up to 2 lr
            double allowed = Math.abs(gc) > 1e-4 * gmax ? 2e-6 : 2.2e-3;
            if (Math.abs(cpu.params()[i] - gpu.params()[i]) > allowed) badP++;
        }
        if (badG > 0 || badP > 0) {
            fail(cell + ": " + badG + " gradients and " + badP + " parameters differ of " + cpu.grads().length);
        }
        assertTrue(gmax > 0, "the step computed gradients");
    }
}
