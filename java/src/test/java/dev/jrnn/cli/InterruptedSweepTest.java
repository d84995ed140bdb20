package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.io.Checkpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep in a child JVM is stopped mid-run (SIGKILL: no shutdown hook; SIGTERM: the hook runs),
 * then resumed in this JVM; its final weights must equal an uninterrupted run's, bit for bit.
 */
class InterruptedSweepTest {
    static final int EPOCHS = 12;   // tiny epochs; the child pauses after its first or second (PausingMain)

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

    /**
     * Starts the sweep in a child JVM ({@link PausingMain}: it blocks its training thread once epoch
     * 1's checkpoint is on disk and says so on stdout) and stops it after that line: synchronised
     * on the child's own event, not on a poll racing its epochs.
     */
    private Process startAndStopAfterFirstCheckpoint(Path out, boolean kill) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Djava.awt.headless=true", "-Xmx256m", "-cp", classPath(), PausingMain.class.getName()));
        cmd.addAll(sweepArgs(out));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("child.err").toFile()).start();
        StringBuilder stdout = new StringBuilder();
        CompletableFuture<Boolean> paused = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (stdout) {
                        stdout.append(line).append('\n');
                    }
                    if (line.equals(PausingMain.PAUSED)) return true;
                }
                return false;   // the child ended without pausing
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        boolean reached;
        try {
            reached = paused.get(120, TimeUnit.SECONDS);
        } finally {
            if (kill) p.destroyForcibly();
            else p.destroy();
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not stop");
        String err = Files.readString(dir.resolve("child.err"));
        synchronized (stdout) {
            assertTrue(reached, "the child never paused after its first checkpoint; stdout:\n" + stdout + "stderr:\n" + err);
        }
        assertTrue(Files.exists(out.resolve("gru8/last.safetensors")), "no checkpoint before the child ended; stderr: " + err);
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
