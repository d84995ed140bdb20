package dev.jrnn.cpu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A fixed set of daemon threads that runs task {@code 0..n-1} of a call, one task per thread,
 * task 0 on the caller. Which task a thread runs never depends on timing, so work split into
 * fixed tasks gives the same result on every run.
 */
final class WorkerPool implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final ExecutorService helpers;                       // threads - 1 of them; null for 1
    private volatile boolean closed;

    WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, found " + threads);
        this.threads = threads;
        if (threads == 1) {
            helpers = null;
        } else {
            int pool = POOLS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            helpers = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "jrnn-cpu-" + pool + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body(0..tasks-1)}, at most {@link #threads()} of them, and waits for all. */
    void run(int tasks, IntConsumer body) {
        if (tasks > threads) {
            throw new IllegalArgumentException("at most " + threads + " tasks per call, asked for " + tasks);
        }
        if (closed) throw new IllegalStateException("the cpu backend's worker threads were closed");
        if (tasks <= 1 || helpers == null) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        Future<?>[] futures = new Future<?>[tasks];
        for (int i = 1; i < tasks; i++) {
            int task = i;
            futures[i] = helpers.submit(() -> body.accept(task));
        }
        Throwable failure = null;
        try {
            body.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (int i = 1; i < tasks; i++) {                       // wait for all, even after a failure
            try {
                futures[i].get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("interrupted while waiting for workers", e);
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException("worker failed", failure);
    }

    @Override
    public void close() {
        closed = true;
        if (helpers != null) helpers.shutdownNow();
    }
}
