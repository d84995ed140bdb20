package dev.jrnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60) // NB: a hung download must fail the build, not stall it
class DownloaderTest {

    private static final String NAME = "t10k-images-idx3-ubyte.gz";

    @TempDir
    Path dir;

    private TinyServer server;
    private final Downloader quiet = Downloader.create(false);
    private final byte[] body = Idx.gzip(Idx.images(50, 28, 28));
    private final DataFile file = TestSpecs.file(NAME, body);

    @BeforeEach
    void start() throws IOException {
        server = new TinyServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Path target() {
        return dir.resolve(NAME);
    }

    private void assertNothingLeft() throws IOException {
        assertFalse(Files.exists(target()), "final file must not exist after a failed download");
        assertFalse(Files.exists(dir.resolve(NAME + ".part")), ".part must be deleted");
        try (var s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "download directory should be empty");
        }
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), () -> "message should contain '" + p + "': " + message);
        }
    }

    @Test
    void downloadsVerifiesAndRenames() throws IOException {
        server.serve("/m/" + NAME, body);
        Path got = quiet.fetch(List.of(server.mirror("m")), file, dir);
        assertEquals(target(), got);
        assertArrayEquals(body, Files.readAllBytes(got));
        assertFalse(Files.exists(dir.resolve(NAME + ".part")));
        assertEquals(50, IdxReader.readImages(got).count());
        assertEquals(1, server.hits("/m/" + NAME));
    }

    @Test
    void verifiedFileIsNotDownloadedAgain() throws IOException {
        server.serve("/m/" + NAME, body);
        quiet.fetch(List.of(server.mirror("m")), file, dir);
        quiet.fetch(List.of(server.mirror("m")), file, dir);
        assertEquals(1, server.hits("/m/" + NAME));
    }

    @Test
    void fileWithWrongHashIsReplaced() throws IOException {
        server.serve("/m/" + NAME, body);
        Files.write(target(), new byte[] {1, 2, 3});
        quiet.fetch(List.of(server.mirror("m")), file, dir);
        assertArrayEquals(body, Files.readAllBytes(target()));
        assertEquals(1, server.hits("/m/" + NAME));
    }

    @Test
    void createsMissingDirectory() throws IOException {
        server.serve("/m/" + NAME, body);
        Path sub = dir.resolve("a/b");
        Path got = quiet.fetch(List.of(server.mirror("m")), file, sub);
        assertEquals(sub.resolve(NAME), got);
        assertTrue(Files.isRegularFile(got));
    }

    @Test
    void hashMismatchLeavesNoFile() throws IOException {
        byte[] corrupt = body.clone();
        corrupt[corrupt.length / 2] ^= 1;
        server.serve("/m/" + NAME, corrupt);
        var e = assertThrows(DownloadException.class, () -> quiet.fetch(List.of(server.mirror("m")), file, dir));
        assertContains(e.getMessage(), server.mirror("m").resolve(NAME).toString(), "SHA-256 mismatch",
                "expected " + file.sha256(), "found " + Idx.sha256(corrupt), "by hand into " + dir, "--data-dir");
        assertNothingLeft();
    }

    @Test
    void connectionDroppedHalfwayLeavesNoFile() throws IOException {
        server.halfway("/m/" + NAME, body);
        var e = assertThrows(DownloadException.class, () -> quiet.fetch(List.of(server.mirror("m")), file, dir));
        assertContains(e.getMessage(), server.mirror("m").resolve(NAME).toString(), "of " + body.length + " bytes");
        assertNothingLeft();
    }

    /**
     * The watchdog's clock stands still until the stalled server has sent its half and the client
     * has written that half to its {@code .part} file; then it jumps past the stall timeout, once
     * per stall. So a stall is detected on those events, never because a healthy transfer on a
     * loaded machine paused for longer than a short real-time window.
     */
    private java.util.function.LongSupplier stallClock() {
        java.util.concurrent.atomic.AtomicInteger fired = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong();
        Path part = dir.resolve(NAME + ".part");
        return () -> {
            if (server.stalls() > fired.get() && Files.isRegularFile(part)) {
                try {
                    if (Files.size(part) == body.length / 2) {
                        fired.incrementAndGet();
                        offset.addAndGet(java.time.Duration.ofHours(1).toNanos());
                    }
                } catch (IOException e) {
                    // the .part is gone: that transfer ended
                }
            }
            return offset.get();
        };
    }

    @Test
    void stalledTransferIsAbandonedAndNextMirrorTried() throws IOException {
        server.stall("/a/" + NAME, body).serve("/b/" + NAME, body);
        var patient = new Downloader(java.net.http.HttpClient.newHttpClient(), false, java.time.Duration.ofMillis(500), stallClock());
        Path got = patient.fetch(List.of(server.mirror("a"), server.mirror("b")), file, dir);
        assertArrayEquals(body, Files.readAllBytes(got));

        Files.delete(got);
        var e = assertThrows(DownloadException.class, () -> patient.fetch(List.of(server.mirror("a")), file, dir));
        assertContains(e.getMessage(), "no data for 500 ms after " + body.length / 2 + " of " + body.length + " bytes");
        assertNothingLeft();
    }

    @Test
    void wrongContentLengthIsRejected() throws IOException {
        byte[] longer = java.util.Arrays.copyOf(body, body.length + 10);
        server.serve("/m/" + NAME, longer);
        var e = assertThrows(DownloadException.class, () -> quiet.fetch(List.of(server.mirror("m")), file, dir));
        assertContains(e.getMessage(), "Content-Length is " + longer.length + " bytes, expected " + body.length);
        assertNothingLeft();
    }

    @Test
    void triesNextMirrorAfter404() throws IOException {
        server.notFound("/a/" + NAME).serve("/b/" + NAME, body);
        Path got = quiet.fetch(List.of(server.mirror("a"), server.mirror("b")), file, dir);
        assertArrayEquals(body, Files.readAllBytes(got));
        assertEquals(1, server.hits("/a/" + NAME));
        assertEquals(1, server.hits("/b/" + NAME));
    }

    @Test
    void listsEveryMirrorWhenAllFail() throws IOException {
        byte[] corrupt = body.clone();
        corrupt[0] ^= 1;
        server.notFound("/a/" + NAME).serve("/b/" + NAME, corrupt);
        var e = assertThrows(DownloadException.class,
                () -> quiet.fetch(List.of(server.mirror("a"), server.mirror("b")), file, dir));
        assertContains(e.getMessage(), server.mirror("a").resolve(NAME) + ": HTTP 404",
                server.mirror("b").resolve(NAME) + ": SHA-256 mismatch");
        assertNothingLeft();
    }

    @Test
    void progressBarPathWorks() throws IOException {
        server.serve("/m/" + NAME, body);
        Path got = Downloader.create(true).fetch(List.of(server.mirror("m")), file, dir);
        assertArrayEquals(body, Files.readAllBytes(got));
    }
}
