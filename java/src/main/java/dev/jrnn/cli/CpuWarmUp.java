package dev.jrnn.cli;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.cpu.VectorBackend;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the CPU backend's Vector API kernels JIT-compiled before the real work starts: a daemon
 * thread trains a copy of the model, shrunk to batches of {@value #BATCH} to {@value #MAX_BATCH}, on random
 * data, on a private one-thread {@link VectorBackend}, then briefly on a private one with the
 * real run's thread count, while the command loads its data.
 *
 * <p>NB: until C2 has compiled a kernel, every Vector API call in it runs the API's boxed Java
 * fallback, some 100x slower: the first real training step of LSTM-32 (batch 256) took about
 * 5 s. C2 compiles a method once it has been called and has looped often enough, whatever the
 * shapes; on a tiny batch the warm-up gets there in a fraction of the calls' cost, and the
 * compiled code is then shared with the real backend. The warm-up touches nothing the command
 * uses (its own backend, model and data), so results do not depend on it.
 *
 * <p>{@code -Djrnn.cpu.warmup=false} turns it off.
 */
final class CpuWarmUp {
    /**
     * Samples per warm-up step: two row blocks of the GEMM kernels plus 0 to 5 rows, cycling, so
     * that every row remainder a real batch can leave (a thread's share of 256 is 128 = 21 x 6 + 2,
     * an evaluation's last batch of 10,000 gives 8 = 6 + 2) is in the profile C2 compiles from.
     */
    private static final int BATCH = 12, MR = 6, MAX_BATCH = BATCH + MR - 1;   // MR: the GEMM kernels' row block
    /** Warm-up training steps, then half as many predictions. */
    private static final int STEPS = 300;
    /** A bound on the warm-up whatever happens. */
    private static final long MAX_NANOS = 10_000_000_000L;

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** Set by {@link #cancel()}: the warm-up stops at its next step. */
    private static volatile boolean cancelled;

    private final Thread thread;

    private CpuWarmUp(Thread thread) {
        this.thread = thread;
    }

    /** No warm-up. */
    static CpuWarmUp none() {
        return new CpuWarmUp(null);
    }

    /**
     * Starts warming up for the given model shape and CPU thread count unless the backend is neither cpu nor auto,
     * this JVM has warmed up before, or {@code -Djrnn.cpu.warmup=false}; returns a handle whose
     * {@link #await()} waits for it.
     */
    static CpuWarmUp start(String backend, int threads, RnnSpec.Cell cell, int units, int layers, Activation activation,
                           int steps, int features) {
        String b = backend == null ? "auto" : backend.toLowerCase(Locale.ROOT).trim();
        if (!(b.equals("cpu") || b.equals("auto")) || "false".equalsIgnoreCase(System.getProperty("jrnn.cpu.warmup"))
                || cell == null || units <= 0 || layers <= 0 || steps <= 0 || features <= 0) {
            return new CpuWarmUp(null);
        }
        if (!STARTED.compareAndSet(false, true)) return new CpuWarmUp(null);     // once per JVM is enough
        Thread t = new Thread(() -> run(threads, cell, units, layers, activation, steps, features), "jrnn-cpu-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
        return new CpuWarmUp(t);
    }

    private static void run(int threads, RnnSpec.Cell cell, int units, int layers, Activation activation, int steps,
                            int features) {
        Sequential m = Sequential.notebook(cell, units, layers, activation, 0.2, steps, features, 10);
        SplittableRandom rnd = new SplittableRandom(1);
        int most = Math.max(1, threads) * MAX_BATCH;
        float[] x = new float[most * steps * features];
        int[] y = new int[most];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        for (int i = 0; i < y.length; i++) y[i] = rnd.nextInt(10);
        long deadline = System.nanoTime() + MAX_NANOS;
        try (VectorBackend be = new VectorBackend(1); Trainer t = new Trainer(m, be, config(MAX_BATCH))) {
            // NB: a fixed count, well past C2's thresholds: once compiled a step costs well under a
            // millisecond, so the steps beyond what was needed cost little. Measured (LSTM-32, 2 busy
            // cores): the first step about 1.5 s (class loading, interpreter), steps 10-40 20-150 ms
            // each (the Vector API's boxed fallback), from about step 180 0.6 ms (C2's code).
            // NB: a fixed batch of 12 left the real run's 2-row tails out of the profile: its first 30
            // steps (batch 256, 2 threads) then took 9-10 ms each against 5.5-6 ms after cycling
            // 12..17, and 2.8 ms once compiled (LSTM-32, same warm-up time)
            for (int i = 0; i < STEPS && going(deadline); i++) t.trainOnBatch(x, y, BATCH + i % MR);
            for (int i = 0; i < STEPS / 2 && going(deadline); i++) t.predict(x, BATCH + i % MR);
        } catch (RuntimeException e) {
            return;   // a warm-up that fails changes nothing but speed; the real run reports real errors
        }
        // then the real backend's thread count, its kernels compiled by now (about 1 ms a step): the
        // pool's hand-offs and the tasks' gradient sums get compiled here rather than in epoch 1.
        // Measured (LSTM-32 Fashion-MNIST, 5 alternating pairs): epoch 1 at a median 81k samples/s
        // against 72k without this phase, epoch 2 about 100k, the same wall time
        if (threads <= 1 || !going(deadline)) return;
        try (VectorBackend pool = new VectorBackend(threads); Trainer tp = new Trainer(m, pool, config(most))) {
            for (int i = 0; i < STEPS / 3 && going(deadline); i++) tp.trainOnBatch(x, y, threads * (BATCH + i % MR));
        } catch (RuntimeException e) {
            // as above
        }
    }

    /** The defaults with training and evaluation batches of {@code batch} (the default 1024 would size buffers for it). */
    private static TrainConfig config(int batch) {
        return TrainConfig.defaults().withBatchSize(batch).withEvalBatchSize(batch);
    }

    private static boolean going(long deadline) {
        return !cancelled && System.nanoTime() - deadline < 0;
    }

    /** Stops the warm-up at its next step (the run chose a backend that does not need it). */
    void cancel() {
        if (thread != null) cancelled = true;
    }

    /** Waits for the warm-up to finish (at once when none runs). */
    void await() {
        if (thread == null) return;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
