package dev.jrnn.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of daemon threads that runs task {@code 0..n-1} of a call, one task per thread,
 * task 0 on the caller. Which task a thread runs never depends on timing, so work split into
 * fixed tasks gives the same result on every run.
 *
 * <p>NB: helpers and the caller wait a short while ({@link #SPIN_NS}) before parking, yielding the
 * core meanwhile to any thread that wants it: waking a parked thread costs tens of microseconds
 * on a VM, a fair share of a millisecond-long call (LSTM-32 inference of 256 samples: 1.2 ms).
 */
final class WorkerPool implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();
    /** How long a waiting thread yields in a loop before it parks. */
    private static final long SPIN_NS = 200_000;

    private final int threads;
    private final Thread[] helpers;                              // threads - 1 of them; empty for 1
    private volatile boolean closed;
    /** One call's work; a new instance per call, so a helper tells calls apart by identity. */
    private record Job(IntConsumer body, int tasks) {}

    private volatile Job job;
    private final AtomicInteger pending = new AtomicInteger();
    private final Throwable[] failures;
    private volatile Thread caller;

    WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, found " + threads);
        this.threads = threads;
        this.failures = new Throwable[threads];
        this.helpers = new Thread[threads - 1];
        int pool = threads > 1 ? POOLS.incrementAndGet() : 0;
        for (int i = 0; i < threads - 1; i++) {
            int task = i + 1;
            Thread t = new Thread(() -> loop(task), "jrnn-cpu-" + pool + "-" + task);
            t.setDaemon(true);
            helpers[i] = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    private void loop(int task) {
        Job seen = null;
        while (true) {
            Job j = job;
            if (j == seen) {
                long start = System.nanoTime();
                while ((j = job) == seen && !closed && System.nanoTime() - start < SPIN_NS) Thread.yield();
                while ((j = job) == seen && !closed) LockSupport.park(this);
            }
            if (closed) return;
            seen = j;
            if (task < j.tasks()) {
                try {
                    j.body().accept(task);
                } catch (Throwable e) {
                    failures[task] = e;
                }
                if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }

    /** Runs {@code body(0..tasks-1)}, at most {@link #threads()} of them, and waits for all. */
    synchronized void run(int tasks, IntConsumer body) {
        if (tasks > threads) {
            throw new IllegalArgumentException("at most " + threads + " tasks per call, asked for " + tasks);
        }
        if (closed) throw new IllegalStateException("the cpu backend's worker threads were closed");
        if (tasks <= 1 || helpers.length == 0) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        this.caller = Thread.currentThread();
        pending.set(tasks - 1);
        job = new Job(body, tasks);                             // publishes caller and pending too
        for (Thread h : helpers) LockSupport.unpark(h);
        Throwable failure = null;
        try {
            body.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        long start = System.nanoTime();                         // wait for all, even after a failure
        while (pending.get() != 0 && System.nanoTime() - start < SPIN_NS) Thread.yield();
        boolean interrupted = false;
        while (pending.get() != 0) {
            LockSupport.park(this);
            if (Thread.interrupted()) interrupted = true;
        }
        if (interrupted) Thread.currentThread().interrupt();
        for (int i = 1; i < tasks; i++) {
            if (failure == null) failure = failures[i];
            failures[i] = null;
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException("worker failed", failure);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread h : helpers) LockSupport.unpark(h);
    }
}
