package dev.jrnn.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** WorkerPool: every task of every call runs exactly once, on a fixed thread; failures reach the caller. */
class WorkerPoolTest {
    @Test
    void everyTaskRunsOncePerCallWhateverTheTaskCount() throws Exception {
        try (WorkerPool pool = new WorkerPool(3)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(3);
            String[] names = new String[3];
            int calls = 20_000, expected1 = 0, expected2 = 0;
            for (int c = 0; c < calls; c++) {
                int tasks = 1 + c % 3;
                if (tasks > 1) expected1++;
                if (tasks > 2) expected2++;
                pool.run(tasks, t -> {
                    runs.incrementAndGet(t);
                    String n = Thread.currentThread().getName();
                    synchronized (names) {
                        if (names[t] == null) names[t] = n;
                        else assertEquals(names[t], n, "task " + t + " moved threads");
                    }
                });
                if (c % 5000 == 0) Thread.sleep(2);                 // let the helpers park too
            }
            assertEquals(calls, runs.get(0));
            assertEquals(expected1, runs.get(1));
            assertEquals(expected2, runs.get(2));
        }
    }

    @Test
    void aHelpersFailureReachesTheCallerAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            RuntimeException e = assertThrows(RuntimeException.class, () -> pool.run(2, t -> {
                if (t == 1) throw boom;
            }));
            assertSame(boom, e);
            AtomicIntegerArray runs = new AtomicIntegerArray(2);
            pool.run(2, runs::incrementAndGet);
            assertEquals(1, runs.get(0));
            assertEquals(1, runs.get(1));
        }
    }

    @Test
    void closedPoolRefuses() {
        WorkerPool pool = new WorkerPool(2);
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.run(2, t -> {}));
    }
}
