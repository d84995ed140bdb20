package dev.jrnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint that cannot be written at the end of an epoch is not lost: it goes to a rescue file, and the error says where. */
class CheckpointerRescueTest {
    @Test
    void aFailedWriteKeepsTheStateInARescueFile(@TempDir Path dir) throws IOException {
        Path runDir = Files.createDirectories(dir.resolve("run"));
        Path file = runDir.resolve("last.safetensors");
        Checkpoint c = CheckpointTest.sample();
        try (Checkpointer ck = new Checkpointer(file)) {
            ck.save(c);                                   // fine while the directory is there
            // the directory goes away mid-run and a file takes its place: the next write must fail
            Files.delete(file);
            Files.delete(runDir);
            Files.writeString(runDir, "in the way");
            IOException e = assertThrows(IOException.class, () -> ck.save(c));
            assertTrue(e.getMessage().startsWith("could not write checkpoint " + file), e.getMessage());
            assertTrue(e.getMessage().contains(" is saved in ") && e.getMessage().contains("continue with --resume "), e.getMessage());
            Path rescue = Path.of(e.getMessage().replaceFirst("(?s).*continue with --resume ", "").strip());
            try {
                Checkpoint back = Checkpoint.load(rescue);
                assertNotNull(back);
                assertArrayEquals(c.params(), back.params());
            } finally {
                Files.deleteIfExists(rescue);
            }
        }
    }

    @Test
    void rescueWritesToTheTemporaryDirectory(@TempDir Path dir) throws IOException {
        Path p = AtomicFiles.writeRescue(dir.resolve("gone/metrics.json"), new byte[] {1, 2, 3});
        try {
            assertNotNull(p);
            assertTrue(p.getFileName().toString().startsWith("jrnn-rescue-") && p.getFileName().toString().endsWith("-metrics.json"), p.toString());
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(p));
        } finally {
            if (p != null) Files.deleteIfExists(p);
        }
    }
}
