package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.cli.MainTest.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jrnn bench --jmh} and {@code --report}'s flags; never runs JMH (CI must not). */
class BenchCommandTest {

    /** The report code lives in the benchmarks jar (BenchRunnerTest writes a report); --report runs it there. */
    @Test
    void reportRunsTheBenchmarksJarsReport(@TempDir Path dir) throws IOException {
        Path json = Files.writeString(dir.resolve("jmh-result.json"), "[]");
        Path jar = dir.resolve("nope.jar");
        Result r = MainTest.run("bench", "--report", json.toString(), "--jmh-jar", jar.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(jar + " not found") && r.err().contains("mvn -DskipTests -pl benchmarks -am package"), r.err());
    }

    @Test
    void jmhFlagsAreCheckedBeforeAnythingRuns(@TempDir Path dir) {
        Result r = MainTest.run("bench", "--jmh", "--cell", "lstm", "--steps", "3");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--cell, --steps do not apply to --jmh"), r.err());
        r = MainTest.run("bench", "--quick");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--quick needs --jmh"), r.err());
        assertEquals(2, MainTest.run("bench", "--jmh", "--report", "x.json").code());
        assertEquals(2, MainTest.run("bench", "--report", "x.json", "--quick").code());
        assertEquals(2, MainTest.run("bench", "--jmh", "--backend", "reference").code());

        r = MainTest.run("bench", "--report", dir.resolve("missing.json").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("missing.json: no such file") && r.err().contains("jrnn bench --jmh"), r.err());

        Path jar = dir.resolve("nope.jar");
        r = MainTest.run("bench", "--jmh", "--quick", "--jmh-jar", jar.toString(), "--out", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(jar + " not found") && r.err().contains("mvn"), r.err());
    }

    /** --warmup-seconds keeps warming up past --warmup's steps (a lower bound on time cannot flake), and is checked. */
    @Test
    void warmupSecondsWarmsUpAtLeastThatLong() {
        long t0 = System.nanoTime();
        Result r = MainTest.run("bench", "--backend", "cpu", "--cell", "gru", "--units", "4", "--batch-size", "8",
                "--steps", "1", "--repeats", "1", "--warmup", "0", "--warmup-seconds", "0.4");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("samples/s: median"), r.out());
        assertTrue(seconds >= 0.4, "took " + seconds + " s");
        r = MainTest.run("bench", "--backend", "cpu", "--warmup-seconds", "-1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--warmup-seconds must be in [0, 3600], found -1.0"), r.err());
        assertEquals(2, MainTest.run("bench", "--jmh", "--warmup-seconds", "1").code());
    }

    @Test
    void helpNamesTheJmhMode() {
        Result r = MainTest.run("bench", "--help");
        assertEquals(0, r.code());
        for (String f : new String[] {"--jmh", "--quick", "--out", "--report", "--jmh-jar", "--cell"}) {
            assertTrue(r.out().contains(f), f + ": " + r.out());
        }
    }

    @Test
    void findsTheCheckoutItWasBuiltIn() {
        Path root = BenchCommand.checkoutRoot();
        // tests run from java/target/classes of this checkout
        assertTrue(root != null && Files.isRegularFile(root.resolve("benchmarks/pom.xml")), String.valueOf(root));
    }
}
