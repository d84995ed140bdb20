package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./jrnn} launcher, run against a fake JDK that prints what the real one does: the
 * JVM's incubator warning is dropped (exactly that line), everything else on stderr passes
 * through byte for byte (progress frames included), and Java is told whether stderr is a terminal.
 */
class LauncherTest {
    @Test
    void incubatorWarningIsFilteredAndTheRestPassesThrough(@TempDir Path dir) throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent();    // surefire runs in java/
        Path launcher = repo.resolve("jrnn");
        if (!Files.isRegularFile(launcher)) throw new IllegalStateException("no launcher at " + launcher);
        // a copy of the launcher in a tree whose jar is up to date, so it does not build
        Files.copy(launcher, dir.resolve("jrnn"));
        Files.createDirectories(dir.resolve("scripts"));
        Files.copy(repo.resolve("scripts/java-env.sh"), dir.resolve("scripts/java-env.sh"));
        for (String d : new String[] {"java/src/main", "native", "cmake"}) Files.createDirectories(dir.resolve(d));
        Files.writeString(dir.resolve("java/pom.xml"), "");
        Files.writeString(dir.resolve("pom.xml"), "");
        Path jar = Files.createDirectories(dir.resolve("java/target")).resolve("jrnn-all.jar");
        Files.writeString(jar, "");
        jar.toFile().setLastModified(System.currentTimeMillis() + 60_000);
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, """
                #!/usr/bin/env bash
                for a in "$@"; do case "$a" in -XshowSettings*) echo '    java.specification.version = 25' >&2; exit 0;; esac; done
                echo 'WARNING: Using incubator modules: jdk.incubator.vector' >&2
                echo "args: $*"
                echo 'WARNING: Using incubator modules: jdk.incubator.vector, but not first' >&2
                printf 'frame1\\rframe2\\n' >&2
                printf 'no newline at the end' >&2
                exit 3
                """);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder pb = new ProcessBuilder("bash", dir.resolve("jrnn").toString(), "--version")
                .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher hung");
        assertEquals(3, p.exitValue(), "Java's exit code passes through");
        String out = Files.readString(dir.resolve("out.txt"));
        assertTrue(out.contains("-Djrnn.stderr.tty=false") && out.contains("--version"), out);
        // the filter may still be writing when bash returns: wait for the last bytes
        Path err = dir.resolve("err.txt");
        String expected = "WARNING: Using incubator modules: jdk.incubator.vector, but not first\nframe1\rframe2\nno newline at the end";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(err).equals(expected) && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(expected, Files.readString(err));
    }

    @Test
    void launcherNeedsNoBuildWhenTheJarIsNewer() throws IOException {
        String s = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("jrnn"));
        assertTrue(s.contains("-Djrnn.stderr.tty="), "the launcher tells Java whether stderr is a terminal");
    }
}
