package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.cli.MainTest.Result;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jrnn bench --jmh} and {@code --report}'s flags; never runs JMH (CI must not). */
class BenchCommandTest {

    @Test
    void reportWritesMarkdownAndChartsFromJmhJson(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("jmh-result.json");
        try (InputStream in = BenchCommandTest.class.getResourceAsStream("/jmh/cpu-only.json")) {
            Files.copy(in, json);
        }
        Path out = dir.resolve("out");
        Result r = MainTest.run("bench", "--report", json.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote " + out.resolve("report.md")), r.out());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| train step | cpu | 32 | 1 | 256 | 10,000 ± 500 | 12,500 ± 500 | 1.25 ± 0.08 |"), md);
        assertTrue(md.contains("No GPU rows in this run"), md);
        assertTrue(Files.size(out.resolve("gru-vs-lstm-cpu.png")) > 1000);

        // without --out the report goes beside the JSON
        assertEquals(0, MainTest.run("bench", "--report", json.toString()).code());
        assertTrue(Files.exists(dir.resolve("report.md")));
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
        assertTrue(r.err().contains("missing.json: no such file"), r.err());

        Path jar = dir.resolve("nope.jar");
        r = MainTest.run("bench", "--jmh", "--quick", "--jmh-jar", jar.toString(), "--out", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(jar + " not found") && r.err().contains("mvn"), r.err());
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
