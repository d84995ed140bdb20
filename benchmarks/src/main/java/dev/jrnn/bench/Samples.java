package dev.jrnn.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Samples processed, reported by JMH as the secondary metric {@code samples} in samples/s (an
 * {@code OPERATIONS} counter is divided by the iteration's time). The primary metric is
 * invocations/s; one invocation processes one batch.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Samples {
    /** Samples processed in this iteration. */
    public long samples;

    /** NB: JMH does not reset counters; each iteration must count only its own samples. */
    @Setup(Level.Iteration)
    public void reset() {
        samples = 0;
    }
}
