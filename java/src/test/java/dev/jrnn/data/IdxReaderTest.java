package dev.jrnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    @TempDir
    Path dir;

    private static void assertMessage(IdxFormatException e, Path file, String... parts) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString() + ": "), () -> "message should start with the file: " + m);
        for (String p : parts) {
            assertTrue(m.contains(p), () -> "message should contain '" + p + "': " + m);
        }
        assertEquals(file, e.file());
    }

    @Test
    void readsRawImages() throws IOException {
        Path f = Idx.write(dir.resolve("img"), Idx.images(3, 4, 5));
        IdxReader.Images img = IdxReader.readImages(f);
        assertEquals(3, img.count());
        assertEquals(4, img.rows());
        assertEquals(5, img.cols());
        assertEquals(60, img.pixels().length);
        for (int i = 0; i < 60; i++) {
            assertEquals(Idx.pixel(i), img.pixels()[i] & 0xff, "pixel " + i);
        }
    }

    @Test
    void readsGzipDetectedByMagicNotByName() throws IOException {
        // gzip content under a raw-looking name, and raw content under a .gz name
        Path gz = Idx.write(dir.resolve("labels-idx1-ubyte"), Idx.gzip(Idx.labels(300, 10)));
        Path raw = Idx.write(dir.resolve("labels-idx1-ubyte.gz"), Idx.labels(300, 10));
        int[] a = IdxReader.readLabels(gz);
        int[] b = IdxReader.readLabels(raw);
        assertEquals(300, a.length);
        assertArrayEquals(a, b);
        for (int i = 0; i < 300; i++) {
            assertEquals(i % 10, a[i]);
        }
    }

    @Test
    void labelsAreUnsigned() throws IOException {
        Path f = Idx.write(dir.resolve("l"), Idx.ubyte(new byte[] {0, 127, (byte) 128, (byte) 255}, 4));
        assertArrayEquals(new int[] {0, 127, 128, 255}, IdxReader.readLabels(f));
    }

    @Test
    void readGivesDims() throws IOException {
        Path f = Idx.write(dir.resolve("x.gz"), Idx.gzip(Idx.ubyte(new byte[24], 2, 3, 2, 2)));
        IdxReader.Data d = IdxReader.read(f);
        assertArrayEquals(new int[] {2, 3, 2, 2}, d.dims());
        assertEquals(24, d.bytes().length);
    }

    @Test
    void rejectsBadMagic() throws IOException {
        byte[] b = Idx.images(1, 2, 2);
        b[1] = 0x01;
        Path f = Idx.write(dir.resolve("bad"), b);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(f));
        assertMessage(e, f, "not an IDX file", "expected magic number 00 00 08", "found 00 01 08 03");
    }

    @Test
    void rejectsHtmlPageWithHint() throws IOException {
        Path f = Idx.write(dir.resolve("page.gz"), "<html><body>Not found</body></html>".getBytes());
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertMessage(e, f, "not an IDX file", "HTML");
    }

    @Test
    void rejectsEmptyFile() throws IOException {
        Path f = Idx.write(dir.resolve("empty"), new byte[0]);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertMessage(e, f, "empty file");
    }

    @Test
    void rejectsOtherElementTypes() throws IOException {
        Path f = Idx.write(dir.resolve("floats"), Idx.withHeader(0x0D, new byte[16], 4));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertMessage(e, f, "unsupported IDX element type 0x0D (float32)", "only 0x08 (unsigned byte)");

        Path g = Idx.write(dir.resolve("odd"), Idx.withHeader(0x05, new byte[4], 4));
        var e2 = assertThrows(IdxFormatException.class, () -> IdxReader.read(g));
        assertMessage(e2, g, "0x05");
    }

    @Test
    void rejectsWrongDimensionCount() throws IOException {
        Path labels = Idx.write(dir.resolve("labels"), Idx.labels(5, 10));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(labels));
        assertMessage(e, labels, "expected 3 dimensions", "found 1 (5)");

        Path images = Idx.write(dir.resolve("images"), Idx.images(5, 2, 3));
        var e2 = assertThrows(IdxFormatException.class, () -> IdxReader.readLabels(images));
        assertMessage(e2, images, "expected 1 dimension", "found 3 (5x2x3)");

        Path none = Idx.write(dir.resolve("none"), Idx.ubyte(new byte[0]));
        var e3 = assertThrows(IdxFormatException.class, () -> IdxReader.read(none));
        assertMessage(e3, none, "0 dimensions");
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        byte[] full = Idx.images(10, 28, 28);
        byte[] cut = Arrays.copyOf(full, 16 + 4000);
        Path raw = Idx.write(dir.resolve("t10k-images-idx3-ubyte"), cut);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(raw));
        assertMessage(e, raw, "truncated: header declares 10x28x28 = 7840 bytes of data, found 4000");

        Path gz = Idx.write(dir.resolve("t10k-images-idx3-ubyte.gz"), Idx.gzip(cut));
        var e2 = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(gz));
        assertMessage(e2, gz, "truncated", "7840 bytes of data, found 4000 (after gzip decompression)");
    }

    @Test
    void rejectsTruncatedHeader() throws IOException {
        Path f = Idx.write(dir.resolve("h"), Arrays.copyOf(Idx.images(1, 2, 2), 9));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertMessage(e, f, "truncated header", "need 16 header bytes, found 9");
    }

    @Test
    void rejectsTrailingData() throws IOException {
        byte[] full = Idx.labels(20, 10);
        byte[] longer = Arrays.copyOf(full, full.length + 3);
        Path raw = Idx.write(dir.resolve("l"), longer);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.readLabels(raw));
        assertMessage(e, raw, "trailing data: header declares 20 = 20 bytes of data, found 23 (3 extra)");

        Path gz = Idx.write(dir.resolve("l.gz"), Idx.gzip(longer));
        var e2 = assertThrows(IdxFormatException.class, () -> IdxReader.readLabels(gz));
        assertMessage(e2, gz, "trailing data", "found 23 (3 extra) (after gzip decompression)");
    }

    @Test
    void rejectsCorruptGzip() throws IOException {
        byte[] gz = Idx.gzip(Idx.images(4, 8, 8));
        // flip bits in the middle of the deflate stream
        byte[] bad = gz.clone();
        for (int i = 12; i < bad.length - 8; i += 3) {
            bad[i] ^= (byte) 0x5a;
        }
        Path f = Idx.write(dir.resolve("bad.gz"), bad);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertMessage(e, f, "corrupt gzip data");
    }

    @Test
    void rejectsGzipWithBadChecksum() throws IOException {
        byte[] gz = Idx.gzip(Idx.images(4, 8, 8));
        gz[gz.length - 6] ^= 1; // CRC-32 in the trailer
        Path f = Idx.write(dir.resolve("crc.gz"), gz);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertMessage(e, f, "corrupt gzip data");
    }

    @Test
    void rejectsCutOffGzip() throws IOException {
        byte[] gz = Idx.gzip(Idx.images(4, 8, 8));
        Path f = Idx.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertMessage(e, f, "corrupt gzip data", "ends early");
    }
}
