package dev.jrnn.cpu;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import java.util.SplittableRandom;

/**
 * A quick timer for iterating on the CPU kernels, not a test: rnnForward + rnnBackward of the
 * seed notebook's recurrent layer (B=256, T=28, F=28, H=32, tanh) for LSTM and GRU, printed
 * as medians over the timed iterations and samples per second. Proper measurements belong to
 * the JMH module.
 *
 * <pre>
 *   mvn -q -o test-compile -pl java
 *   java --add-modules jdk.incubator.vector -cp java/target/classes:java/target/test-classes \
 *        [-Dbench.seconds=6] [-Djrnn.cpu.vector=false] dev.jrnn.cpu.VectorBackendBench [threads...]
 * </pre>
 * A warm-up of 0.4 x {@code bench.seconds} per cell precedes the timed {@code bench.seconds}:
 * the very first call runs the Vector API in the interpreter and takes about a second, and
 * C2 needs a few seconds to settle.
 *
 * <p>{@code -Dbench.lengths=10-28} times instead the training step of sequences of their own
 * lengths (uniform in [10, 28], fresh each iteration) against full-length ones, the two
 * interleaved iteration by iteration so that a noisy machine hits both alike, and prints the
 * ratio of their medians (issue 16's target: at most 0.65; the mean length 19 of 28 makes 0.68
 * the recurrent work's proportional floor).
 */
public final class VectorBackendBench {
    private VectorBackendBench() {}

    public static void main(String[] args) {
        int[] threadCounts = args.length == 0 ? new int[] {1, 2}
                : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "6"));
        int batch = 256, steps = 28, features = 28, units = 32;
        String lengths = System.getProperty("bench.lengths");
        for (int threads : threadCounts) {
            try (VectorBackend be = new VectorBackend(threads)) {
                System.out.println(be.description());
                for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                    RnnSpec spec = new RnnSpec(cell, features, units, Activation.TANH);
                    if (lengths == null) {
                        time(be, spec, batch, steps, seconds);
                    } else {
                        String[] range = lengths.split("-");
                        compareLengths(be, spec, batch, steps, Integer.parseInt(range[0]), Integer.parseInt(range[1]), seconds);
                    }
                }
            }
        }
    }

    /** Fixed-length and uniform-length training steps, interleaved; medians and their ratio. */
    private static void compareLengths(VectorBackend be, RnnSpec spec, int batch, int steps, int lo, int hi,
                                       double seconds) {
        SplittableRandom rnd = new SplittableRandom(20240602);
        int F = spec.inputSize(), H = spec.units();
        Tensor x = filled(be, rnd, batch * steps * F, 1), p = filled(be, rnd, spec.paramCount(), 0.2);
        Tensor y = be.allocate(batch * steps * H), reserve = be.allocate(batch * spec.reservePerSample(steps));
        Tensor dy = filled(be, rnd, batch * steps * H, 1e-2), dx = be.allocate(batch * steps * F);
        Tensor dp = be.allocate(spec.paramCount());
        int[] lengths = new int[batch];
        long[] fixedNs = new long[1 << 15], varNs = new long[1 << 15];
        long sumLen = 0;
        int iters = 0;
        long warmEnd = System.nanoTime() + (long) (seconds * 0.4e9), end = warmEnd + (long) (seconds * 1e9);
        boolean warm = true;
        while (iters < fixedNs.length) {
            for (int b = 0; b < batch; b++) lengths[b] = lo + rnd.nextInt(hi - lo + 1);
            long t0 = System.nanoTime();
            be.rnnForward(spec, batch, steps, null, x, null, null, p, y, null, null, reserve);
            be.rnnBackward(spec, batch, steps, null, x, null, null, p, y, reserve, dy, null, null, dx, null, null, dp);
            long t1 = System.nanoTime();
            be.rnnForward(spec, batch, steps, lengths, x, null, null, p, y, null, null, reserve);
            be.rnnBackward(spec, batch, steps, lengths, x, null, null, p, y, reserve, dy, null, null, dx, null, null, dp);
            long t2 = System.nanoTime();
            if (warm) {
                warm = t2 <= warmEnd;
                continue;
            }
            fixedNs[iters] = t1 - t0;
            varNs[iters] = t2 - t1;
            for (int n : lengths) sumLen += n;
            iters++;
            if (t2 > end) break;
        }
        double fixed = median(fixedNs, iters) / 1e6, var = median(varNs, iters) / 1e6;
        System.out.printf("  %-4s B=%d T=%d F=%d H=%d: fixed %.2f ms, lengths %d-%d (mean %.2f) %.2f ms per forward+backward"
                        + " (medians of %d); ratio %.3f (mean length / T = %.3f)%n",
                spec.cell(), batch, steps, F, H, fixed, lo, hi, sumLen / (double) iters / batch, var, iters, var / fixed,
                sumLen / (double) iters / batch / steps);
    }

    private static void time(VectorBackend be, RnnSpec spec, int batch, int steps, double seconds) {
        SplittableRandom rnd = new SplittableRandom(20240601);
        int F = spec.inputSize(), H = spec.units();
        Tensor x = filled(be, rnd, batch * steps * F, 1), p = filled(be, rnd, spec.paramCount(), 0.2);
        Tensor y = be.allocate(batch * steps * H), reserve = be.allocate(batch * spec.reservePerSample(steps));
        Tensor dy = filled(be, rnd, batch * steps * H, 1e-2), dx = be.allocate(batch * steps * F);
        Tensor dp = be.allocate(spec.paramCount());
        long[] fwdNs = new long[1 << 16], bwdNs = new long[1 << 16];
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = 0;
        int iters = 0;
        long warmEnd = System.nanoTime() + (long) (seconds * 0.4e9), end = warmEnd + (long) (seconds * 1e9);
        boolean warm = true;
        while (iters < fwdNs.length) {
            long t0 = System.nanoTime();
            be.rnnForward(spec, batch, steps, x, p, y, reserve);
            long t1 = System.nanoTime();
            be.rnnBackward(spec, batch, steps, x, p, y, reserve, dy, dx, dp);
            long t2 = System.nanoTime();
            if (warm) {
                if (t2 > warmEnd) {
                    warm = false;
                    cpu0 = mx.getCurrentThreadCpuTime();
                }
                continue;
            }
            fwdNs[iters] = t1 - t0;
            bwdNs[iters] = t2 - t1;
            iters++;
            if (t2 > end) break;
        }
        // NB: medians, so that a neighbour's burst on a shared machine does not skew the figure
        double cpuMs = (mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / iters;
        double fwd = median(fwdNs, iters) / 1e6, bwd = median(bwdNs, iters) / 1e6;
        System.out.printf("  %-4s B=%d T=%d F=%d H=%d: forward %.2f ms, backward %.2f ms (medians), %,.0f samples/s"
                        + " (%d iterations; caller thread busy %.2f ms per iteration)%n",
                spec.cell(), batch, steps, F, H, fwd, bwd, batch / ((fwd + bwd) / 1e3), iters, cpuMs);
    }

    private static double median(long[] values, int n) {
        long[] v = java.util.Arrays.copyOf(values, n);
        java.util.Arrays.sort(v);
        return v[n / 2];
    }

    private static Tensor filled(VectorBackend be, SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return be.of(a);
    }
}
