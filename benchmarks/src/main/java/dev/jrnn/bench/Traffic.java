package dev.jrnn.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Bytes a kernel must move at least (each input read once, each output written once), in
 * gigabytes (1e9); JMH reports the secondary metric {@code GB} divided by the iteration's time,
 * that is GB/s (its unit column says "ops/s").
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Traffic {
    /** Gigabytes moved in this iteration. */
    public double GB;

    /** NB: JMH does not reset counters; each iteration must count only its own traffic. */
    @Setup(Level.Iteration)
    public void reset() {
        GB = 0;
    }
}
