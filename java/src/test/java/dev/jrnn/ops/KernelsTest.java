package dev.jrnn.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.backend.Philox;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The array kernels against their equations, computed here in double. */
class KernelsTest {
    private final SplittableRandom r = new SplittableRandom(8);

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 6 - 3);
        return a;
    }

    @Test
    void dropoutKeepsExactlyThePhiloxMaskAndIsItsOwnBackward() {
        try (Backend cpu = Backends.cpu(2)) {
            Kernels k = Kernels.on(cpu);
            float[] in = random(1000), out = new float[1000], back = new float[1000];
            k.dropout(7, 3, 2, 0.25f, in, out);
            k.dropoutBackward(7, 3, 2, 0.25f, in, back);
            int kept = 0;
            for (int i = 0; i < in.length; i++) {
                boolean keep = Philox.uniform(7, 3, 2, i) >= 0.25f;
                assertEquals(keep ? (float) (in[i] * (1.0 / 0.75)) : 0f, out[i], "element " + i);
                assertEquals(out[i], back[i]);
                if (keep) kept++;
            }
            assertTrue(kept > 700 && kept < 800, "kept " + kept + " of 1000 at rate 0.25");
            assertThrows(IllegalArgumentException.class, () -> k.dropout(1, 1, 1, 1f, in, out));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> k.dropout(new jcuda.driver.CUstream(),
                    1, 1, 1, 0.5f, 4, new jcuda.driver.CUdeviceptr(), new jcuda.driver.CUdeviceptr()));
            assertTrue(e.getMessage().contains("need a GpuBackend"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> k.dropout(1, 1, 1, 0.5f, in, new float[3]));
        }
    }

    @Test
    void softmaxAndCrossEntropyFollowTheirEquations() {
        int b = 5, c = 7;
        float[] logits = random(b * c), probs = new float[b * c], grad = new float[b * c];
        int[] labels = {0, 6, 3, 3, 1};
        try (Backend cpu = Backends.cpu(2)) {
            Kernels k = Kernels.on(cpu);
            k.softmax(b, c, logits, probs);
            Kernels.Loss loss = k.softmaxCrossEntropy(b, c, logits, labels, 1f / b, grad);
            double sum = 0;
            int correct = 0;
            for (int i = 0; i < b; i++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                int arg = 0;
                for (int j = 0; j < c; j++) {
                    if (logits[i * c + j] > max) {
                        max = logits[i * c + j];
                        arg = j;
                    }
                }
                for (int j = 0; j < c; j++) z += Math.exp(logits[i * c + j] - max);
                for (int j = 0; j < c; j++) {
                    double p = Math.exp(logits[i * c + j] - max) / z;
                    assertEquals(p, probs[i * c + j], 1e-6);
                    assertEquals((p - (j == labels[i] ? 1 : 0)) / b, grad[i * c + j], 1e-6);
                }
                sum += -(logits[i * c + labels[i]] - max - Math.log(z));
                if (arg == labels[i]) correct++;
            }
            assertEquals(sum, loss.sum(), 1e-4);
            assertEquals(correct, loss.correct());
            assertEquals(sum / b, loss.mean(), 1e-4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.softmaxCrossEntropy(b, c, logits, new int[] {0, 1, 7, 0, 0}, 1f, null));
            assertTrue(e.getMessage().contains("labels[2]") && e.getMessage().contains("found 7"), e.getMessage());
        }
    }

    @Test
    void adamFollowsKerasForm() {
        int n = 50;
        float[] p = random(n), g = random(n), m = random(n), v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Math.abs(m[i]);
        float[] p0 = p.clone(), m0 = m.clone(), v0 = v.clone();
        try (Backend ref = Backends.reference()) {
            Kernels.on(ref).adam(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-7f, 3);
        }
        double alpha = 1e-3 * Math.sqrt(1 - Math.pow(0.999, 3)) / (1 - Math.pow(0.9, 3));
        for (int i = 0; i < n; i++) {
            double mm = 0.9 * m0[i] + 0.1 * g[i], vv = 0.999 * v0[i] + 0.001 * g[i] * g[i];
            assertEquals(mm, m[i], 1e-6);
            assertEquals(vv, v[i], 1e-6);
            assertEquals(p0[i] - alpha * mm / (Math.sqrt(vv) + 1e-7), p[i], 1e-6);
        }
    }
}
