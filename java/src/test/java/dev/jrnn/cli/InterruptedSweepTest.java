package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.io.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep in a child JVM is stopped mid-run (SIGKILL: no shutdown hook; SIGTERM: the hook runs),
 * then resumed in this JVM; its final weights must equal an uninterrupted run's, bit for bit.
 */
class InterruptedSweepTest {
    static final int EPOCHS = 12;   // tiny epochs; the child is stopped after its first, the JIT warm-up makes it the slowest

    @TempDir
    static Path shared;
    static Path data;
    static float[] uninterrupted;

    @TempDir
    Path dir;

    static List<String> sweepArgs(Path out) {
        return List.of("sweep", "--models", "gru8", "--epochs", Integer.toString(EPOCHS), "--batch-size", "32",
                "--dataset", "mnist", "--data-dir", data.toString(), "--backend", "cpu", "--threads", "2",
                "--out", out.toString(), "--no-plots", "--no-progress");
    }

    @BeforeAll
    static void uninterruptedRun() throws IOException {
        data = shared.resolve("data");
        IdxFixtures.writeDigitsLike(data, 128, 16);
        Path out = shared.resolve("whole");
        MainTest.Result r = MainTest.run(sweepArgs(out).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        uninterrupted = Checkpoint.load(out.resolve("gru8/last.safetensors")).params();
    }

    /**
     * The test JVM's module path and class path as one class path. NB: surefire runs the tests with
     * module dev.jrnn on the module path; the child needs only the classes, not the module checks.
     */
    private static String classPath() {
        String mp = System.getProperty("jdk.module.path", ""), cp = System.getProperty("java.class.path", "");
        return mp.isEmpty() ? cp : cp.isEmpty() ? mp : mp + java.io.File.pathSeparator + cp;
    }

    /** Starts the sweep in a child JVM and stops it once the first checkpoint exists. */
    private Process startAndStopAfterFirstCheckpoint(Path out, boolean kill) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Djava.awt.headless=true", "-Xmx256m", "-cp", classPath(), Main.class.getName()));
        cmd.addAll(sweepArgs(out));
        Process p = new ProcessBuilder(cmd).redirectOutput(dir.resolve("child.out").toFile())
                .redirectError(dir.resolve("child.err").toFile()).start();
        Path ck = out.resolve("gru8/last.safetensors");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ck) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(1);
        if (kill) p.destroyForcibly();
        else p.destroy();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not stop");
        assertTrue(Files.exists(ck), "no checkpoint before the child ended; stderr: " + Files.readString(dir.resolve("child.err")));
        return p;
    }

    private void resumeAndCompare(Path out) throws IOException {
        Checkpoint saved = Checkpoint.load(out.resolve("gru8/last.safetensors"));
        int done = saved.training().epochsDone();
        assertTrue(done >= 1 && done < EPOCHS, "the child must stop mid-sweep, it stopped after epoch " + done);
        MainTest.Result r = SweepCommandTest.resumeWith(out, data);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resuming after epoch " + done + " of " + EPOCHS), r.out());
        try (var s = Files.list(out.resolve("gru8"))) {
            assertEquals(List.of(out.resolve("gru8/last.safetensors")), s.toList(), "stale temporary files are removed");
        }
        assertArrayEquals(uninterrupted, Checkpoint.load(out.resolve("gru8/last.safetensors")).params());
    }

    @Test
    void sigkillMidSweepThenResumeGivesTheSameWeights() throws Exception {
        Path out = dir.resolve("killed");
        Process p = startAndStopAfterFirstCheckpoint(out, true);
        assertEquals(137, p.exitValue(), "SIGKILL");
        resumeAndCompare(out);
    }

    @Test
    void sigtermRunsTheHookThenResumeGivesTheSameWeights() throws Exception {
        Path out = dir.resolve("terminated");
        Process p = startAndStopAfterFirstCheckpoint(out, false);
        assertEquals(143, p.exitValue(), "SIGTERM");
        String err = Files.readString(dir.resolve("child.err"));
        assertTrue(err.contains("is saved in " + out.resolve("gru8/last.safetensors"))
                && err.contains("continue with: jrnn sweep --resume " + out), err);
        resumeAndCompare(out);
    }
}
