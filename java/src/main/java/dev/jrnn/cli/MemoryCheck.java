package dev.jrnn.cli;

import dev.jrnn.backend.Backend;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Recurrent;
import dev.jrnn.nn.Sequential;
import java.util.Locale;

/**
 * Estimates the Java heap a training run needs before it allocates anything, so that a model too
 * large for the heap is refused in one line instead of ending, minutes later, in an
 * {@link OutOfMemoryError}.
 *
 * <p>What is counted, for P parameters and B = max(batch, 1024) rows (the trainer sizes its
 * buffers for the larger of the training and evaluation batches), in the backend's float width
 * (4 bytes; 8 for the float64 reference backend):
 * <ul>
 *   <li>parameters, gradients and the two Adam moments: 4P;</li>
 *   <li>on the CPU, the packed step weights (P) and one gradient partial per worker thread (P each);</li>
 *   <li>per recurrent layer of H units and G gates: outputs, the forward reserve, and the backward
 *       pass's gate gradients, about B*T*(3*G*H + 4*H);</li>
 *   <li>the checkpoint snapshot and its encoded bytes, float32 always: 6P.</li>
 * </ul>
 * On CUDA only the host side (the snapshot) is counted: the device reports its own memory errors.
 * NB: an estimate, within a few tens of percent; the refusal triggers only when it exceeds the
 * heap that is free, so a run it lets through may still be tight, and the CLI turns a late
 * {@code OutOfMemoryError} into one line too.
 */
final class MemoryCheck {
    private MemoryCheck() {}

    /** The estimate, split in its two parts (bytes). */
    record Estimate(long weights, long activations) {
        long total() {
            return weights + activations;
        }
    }

    static Estimate estimate(Sequential m, String backend, int threads, int batch) {
        long p = m.paramCount();
        boolean cuda = backend.startsWith("cuda");
        int fb = backend.equals("reference") ? 8 : 4;
        long b = Math.max(batch, 1024);
        long weights = 6 * p * 4;                               // snapshot + encoded checkpoint
        long acts = 0;
        if (!cuda) {
            weights += (4 + 1 + (long) Math.max(1, threads)) * p * fb;
            for (int i = 0; i < m.layers().size(); i++) {
                Layer l = m.layers().get(i);
                Recurrent r = l instanceof Recurrent one ? one : l instanceof Bidirectional bi ? bi.layer() : null;
                if (r != null) {
                    long h = r.units(), g = r.cell().gates(), t = m.inputShape(i).dim(0);
                    long directions = l instanceof Bidirectional ? 2 : 1;   // a reserve and outputs per direction
                    acts += directions * b * t * (3 * g * h + 4 * h) * fb;
                } else {
                    acts += b * 2L * Math.max(1, m.outputShape(i).elements()) * fb;
                }
            }
        }
        return new Estimate(weights, acts);
    }

    /**
     * Refuses a run whose estimate exceeds the heap that is free now.
     *
     * @throws IllegalArgumentException one line: the estimate, the heap, what to change
     */
    static void check(Sequential m, Backend be, int threads, int batch) {
        String name = be.name();
        Estimate e = estimate(m, name, threads, batch);
        Runtime rt = Runtime.getRuntime();
        long max = rt.maxMemory(), free = max - (rt.totalMemory() - rt.freeMemory());
        if (e.total() <= free) return;
        long suggest = (long) Math.ceil((e.total() + (max - free)) * 1.25 / (1L << 30));
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s needs about %s of Java heap (%s weights and"
                        + " optimiser, %s activations), but %s of the %s heap (-Xmx) is free: use fewer --units, or e.g."
                        + " JRNN_JAVA_OPTS=-Xmx%dg", m.shortName(), bytes(e.total()), bytes(e.weights()), bytes(e.activations()),
                bytes(free), bytes(max), suggest));
    }

    static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        return String.format(Locale.ROOT, "%.0f MiB", n / (double) (1L << 20));
    }

    /** The one line the CLI prints for an {@link OutOfMemoryError} it did not foresee. */
    static String outOfMemory(OutOfMemoryError e) {
        long max = Runtime.getRuntime().maxMemory();
        return "out of Java heap (" + (e.getMessage() == null ? "OutOfMemoryError" : e.getMessage()) + "; the heap (-Xmx) is "
                + bytes(max) + "): use a smaller model or batch, or a larger heap, e.g. JRNN_JAVA_OPTS=-Xmx"
                + Math.max(2, 2 * (max >> 30)) + "g ./jrnn ...";
    }
}
