package dev.jrnn.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Keeps a run's latest checkpoint on disk and, optionally, makes sure it is complete when the JVM
 * is stopped (Ctrl-C / SIGINT, SIGTERM, {@code System.exit}).
 *
 * <p>The training thread calls {@link #save} at the end of every epoch with a host snapshot of
 * that epoch's state; the write is atomic ({@link AtomicFiles}). The shutdown hook runs in
 * another thread while training may still be mid-epoch: it never reads the trainer, only the
 * last snapshot handed to {@link #save}. It waits (up to a minute) for a write in flight to
 * finish, writes the snapshot again only if its write had failed, blocks any later write (so
 * the halt cannot cut one short), and reports. So the file always holds the last completed
 * epoch, never a half-updated state. A process killed outright (SIGKILL) keeps the last
 * completed write; a temporary file it may leave is removed by {@link #cleanStale()}.
 */
public final class Checkpointer implements AutoCloseable {
    private final Path file;
    private final ReentrantLock lock = new ReentrantLock();
    private Checkpoint latest;       // guarded by lock: the last snapshot handed to save()
    private boolean latestOnDisk;    // guarded by lock
    private boolean stopped;         // guarded by lock: the JVM is shutting down, no more writes
    private Thread hook;

    /**
     * Creates a checkpointer for one file; nothing is written and no hook installed yet.
     *
     * @param file where the checkpoint lives, e.g. {@code runs/x/lstm32/last.safetensors}
     */
    public Checkpointer(Path file) {
        this.file = file;
    }

    /** {@return the checkpoint file} */
    public Path file() {
        return file;
    }

    /**
     * Removes temporary files an earlier, killed process left beside the checkpoint; call it
     * before the first {@link #save}.
     *
     * @return how many were removed
     * @throws IOException if the directory cannot be listed or a file cannot be deleted
     */
    public int cleanStale() throws IOException {
        return AtomicFiles.deleteStaleTemporaries(file);
    }

    /**
     * Makes {@code c} the latest state and writes it atomically; does nothing once the JVM is
     * shutting down. Blocks while another write (for instance the shutdown hook's) is in flight.
     *
     * @param c a host snapshot of the run; it must not change after this call, as the shutdown
     *          hook may write it again
     * @throws IOException if the file cannot be written; the previous file is then left intact
     */
    public void save(Checkpoint c) throws IOException {
        lock.lock();
        try {
            if (stopped) return;
            latest = c;
            latestOnDisk = false;
            try {
                c.save(file);
            } catch (IOException e) {
                throw rescued(c, e);
            }
            latestOnDisk = true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * After a failed write: puts {@code c} in {@link AtomicFiles#writeRescue a rescue file} and
     * returns the exception to throw, which says where the state went.
     */
    private IOException rescued(Checkpoint c, IOException e) {
        Path rescue = null;
        try {
            rescue = AtomicFiles.writeRescue(file, SafeTensors.encode(c.metadata(), c.tensors()));
        } catch (RuntimeException ignored) {
            // nothing more to try
        }
        String why = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                : e.getMessage();
        return new IOException("could not write checkpoint " + file + " (" + why + ")" + (rescue == null
                ? "; the state of this epoch could not be saved anywhere"
                : "; epoch " + (c.training() == null ? "?" : c.training().epochsDone()) + " is saved in " + rescue
                + " instead: continue with --resume " + rescue), e);
    }

    /**
     * Installs the shutdown hook described above; {@link #close()} removes it.
     *
     * @param onShutdown called from the hook, after the file is complete, with the checkpoint
     *                   on disk (null when no epoch finished yet); e.g. to tell how to resume
     */
    public synchronized void installShutdownHook(Consumer<Checkpoint> onShutdown) {
        if (hook != null) throw new IllegalStateException("shutdown hook already installed");
        hook = new Thread(() -> onShutdown.accept(finishForShutdown()), "jrnn-checkpoint-" + file.getFileName());
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** What the hook does: wait for a write in flight, then write the last snapshot if it is not on disk. */
    Checkpoint finishForShutdown() {
        boolean locked = false;
        try {
            locked = lock.tryLock(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!locked) return null;   // NB: a write hung for a minute; the atomic rename keeps the old file intact
        try {
            stopped = true;
            if (latest != null && !latestOnDisk) {
                try {
                    latest.save(file);
                    latestOnDisk = true;
                } catch (IOException e) {
                    System.err.println("jrnn: " + rescued(latest, e).getMessage());
                    return null;
                }
            }
            return latest;
        } finally {
            lock.unlock();
        }
    }

    /** Removes the shutdown hook (a no-op once shutdown has begun). */
    @Override
    public synchronized void close() {
        if (hook == null) return;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutdown in progress: the hook runs
        }
        hook = null;
    }
}
