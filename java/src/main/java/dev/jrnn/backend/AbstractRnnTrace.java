package dev.jrnn.backend;

/**
 * The part every backend's {@link RnnTrace} shares: the pass's shape and a close that runs once.
 * A backend extends it with what its backward pass reads and releases that in {@link #release()}.
 * For jrnn's backends; like {@link Backend}, not for implementation outside jrnn before 1.0.
 */
public abstract class AbstractRnnTrace implements RnnTrace {
    private final RnnSpec spec;
    private final int batch, steps;
    private final int[] lengths;
    private boolean closed;

    /**
     * A trace of one forward pass.
     *
     * @param spec  the layer (or stack) the pass ran
     * @param batch B
     * @param steps T
     */
    protected AbstractRnnTrace(RnnSpec spec, int batch, int steps) {
        this(spec, batch, steps, null);
    }

    /**
     * A trace of one forward pass over sequences of their own lengths.
     *
     * @param spec    the layer (or stack) the pass ran
     * @param batch   B
     * @param steps   T
     * @param lengths B lengths, copied; {@code null}, or all T, for full-length sequences
     */
    protected AbstractRnnTrace(RnnSpec spec, int batch, int steps, int[] lengths) {
        this.spec = spec;
        this.batch = batch;
        this.steps = steps;
        this.lengths = RnnSpec.fullLength(lengths, steps) ? null : lengths.clone();
    }

    @Override
    public final int[] lengths() {
        return lengths == null ? null : lengths.clone();
    }

    /** {@return the lengths without a copy, {@code null} for full length: for the backend's own use} */
    protected final int[] lengthsView() {
        return lengths;
    }

    @Override
    public final RnnSpec spec() {
        return spec;
    }

    @Override
    public final int batch() {
        return batch;
    }

    @Override
    public final int steps() {
        return steps;
    }

    @Override
    public final boolean isClosed() {
        return closed;
    }

    /**
     * Throws unless the trace is still open, as a backward pass needs it.
     *
     * @throws IllegalStateException when it is closed
     */
    public final void requireOpen() {
        if (closed) throw new IllegalStateException("rnnBackward: the trace is closed; call rnnBackward before closing it");
    }

    /** Releases what the trace holds, once; later calls do nothing. */
    @Override
    public final void close() {
        if (closed) return;
        closed = true;
        release();
    }

    /** Gives what this trace holds back to its backend; called once, by {@link #close()}. */
    protected abstract void release();
}
