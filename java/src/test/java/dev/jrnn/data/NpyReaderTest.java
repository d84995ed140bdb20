package dev.jrnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NpyReader} on files NumPy wrote ({@code src/test/resources/npy/make_fixtures.py}: every
 * dtype and order jrnn reads, versions 1.0 and 2.0) and on hand-made bad files: each gives an
 * {@link NpyFormatException} that names the file and says what was expected and found.
 */
class NpyReaderTest {
    @TempDir
    Path dir;

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(NpyReaderTest.class.getResource("/npy/" + name).toURI());
    }

    /** x[i] = i / 8 - 1, as make_fixtures.py writes it. */
    private static float[] expectedX() {
        float[] x = new float[24];
        for (int i = 0; i < x.length; i++) x[i] = i / 8f - 1;
        return x;
    }

    @Test
    void readsWhatNumpyWrote() throws Exception {
        for (String f : new String[] {"x_f4.npy", "x_f8_big_endian.npy", "x_f4_v2.npy"}) {
            NpyReader.Floats x = NpyReader.readFloats(fixture(f), 3);
            assertArrayEquals(new int[] {2, 3, 4}, x.shape(), f);
            assertArrayEquals(expectedX(), x.values(), f);
        }
        long[] y = {0, 1, 2, 3, 4, 5, 6};
        for (String f : new String[] {"y_i8.npy", "y_u1.npy", "y_i4_big_endian.npy"}) {
            NpyReader.Integers labels = NpyReader.readIntegers(fixture(f), 1);
            assertArrayEquals(new int[] {7}, labels.shape(), f);
            assertArrayEquals(y, labels.values(), f);
        }
    }

    @Test
    void fortranOrderAndTheWrongKindOrRankSayWhatToDo() throws Exception {
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(fixture("x_fortran.npy"), 3));
        assertTrue(e.getMessage().contains("Fortran") && e.getMessage().contains("np.ascontiguousarray"), e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(fixture("x_f4.npy"), 2));
        assertTrue(e.getMessage().contains("x_f4.npy: expected 2 dimensions, found shape (2, 3, 4)"), e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(fixture("y_i8.npy"), 1));
        assertTrue(e.getMessage().contains("expected a float array") && e.getMessage().contains("'<i8'")
                && e.getMessage().contains("astype('float32')"), e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readIntegers(fixture("x_f4.npy"), 3));
        assertTrue(e.getMessage().contains("expected an integer array") && e.getMessage().contains("'<f4'"), e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(fixture("y_i8.npy"), 3));
        assertTrue(e.getMessage().contains("sequences are (N, T, F)"), e.getMessage());
    }

    /** A version 1.0 file with {@code header} (padded as NumPy pads it) and {@code data}. */
    private Path npy(String name, String header, byte[] data) throws IOException {
        return npy(name, 1, header, data);
    }

    private Path npy(String name, int major, String header, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        int prefix = major == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(header);
        while ((prefix + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) len.putShort((short) hb.length);
        else len.putInt(hb.length);
        out.write(len.array());
        out.write(hb);
        out.write(data);
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    private static String dict(String descr, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    @Test
    void truncatedTrailingAndLyingSizesAreCaughtBeforeAllocating() throws Exception {
        Path t = npy("t.npy", dict("<f4", "(2, 3)"), new byte[20]);
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(t, 2));
        assertTrue(e.getMessage().contains("t.npy: truncated: shape (2, 3) of <f4 needs 24 bytes of data, found 20"), e.getMessage());
        Path tr = npy("tr.npy", dict("<f4", "(2, 3)"), new byte[28]);
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(tr, 2));
        assertTrue(e.getMessage().contains("trailing data") && e.getMessage().contains("found 28"), e.getMessage());
        // a header that claims 2^40 floats in a file of a few bytes: refused, nothing allocated
        Path lie = npy("lie.npy", dict("<f4", "(1048576, 1048576)"), new byte[8]);
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(lie, 2));
        assertTrue(e.getMessage().contains("more than 2^31 elements"), e.getMessage());
        Path lie2 = npy("lie2.npy", dict("<f4", "(40000, 28, 28)"), new byte[8]);
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(lie2, 3));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("needs 125440000 bytes"), e.getMessage());
        Path neg = npy("neg.npy", dict("<f4", "(-1, 3)"), new byte[0]);
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(neg, 2));
        assertTrue(e.getMessage().contains("dimension -1"), e.getMessage());
    }

    @Test
    void unsupportedDtypesAndBrokenHeadersAreNamed() throws Exception {
        for (String descr : new String[] {"|O", "|b1", "<c8", "<U5", "<f2", "<i3"}) {
            Path p = npy("d.npy", dict(descr, "(2,)"), new byte[64]);
            NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(p, 1), descr);
            assertTrue(e.getMessage().contains("unsupported dtype '" + descr + "'") || e.getMessage().contains("expected a float array"),
                    descr + ": " + e.getMessage());
        }
        Path structured = npy("s.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", new byte[8]);
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(structured, 1));
        assertTrue(e.getMessage().contains("structured"), e.getMessage());
        Path noShape = npy("n.npy", "{'descr': '<f4', 'fortran_order': False, }", new byte[0]);
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(noShape, 1));
        assertTrue(e.getMessage().contains("no 'shape'"), e.getMessage());
        Path notDict = npy("nd.npy", "hello", new byte[0]);
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(notDict, 1));
        assertTrue(e.getMessage().contains("malformed header"), e.getMessage());
        Path v4 = npy("v4.npy", 4, dict("<f4", "(1,)"), new byte[4]);
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(v4, 1));
        assertTrue(e.getMessage().contains("unsupported .npy format version 4.0"), e.getMessage());
        Path v3 = npy("v3.npy", 3, dict("<f4", "(1,)"), new byte[] {0, 0, (byte) 0x80, 0x3f});
        assertArrayEquals(new float[] {1f}, NpyReader.readFloats(v3, 1).values());
        Path idx = Files.write(dir.resolve("images.idx"), new byte[] {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1});
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(idx, 3));
        assertTrue(e.getMessage().contains("not a .npy file: expected the magic \\x93NUMPY, found 00 00 08 03 00 00"),
                e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(dir.resolve("missing.npy"), 3));
        assertTrue(e.getMessage().contains("missing.npy: no such file"), e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readFloats(dir, 3));
        assertTrue(e.getMessage().contains("found a directory"), e.getMessage());
        Path big = npy("u8.npy", dict("<u8", "(1,)"), new byte[] {-1, -1, -1, -1, -1, -1, -1, -1});
        e = assertThrows(NpyFormatException.class, () -> NpyReader.readIntegers(big, 1));
        assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
        assertEquals(1, NpyReader.readIntegers(npy("one.npy", dict("|i1", "(1,)"), new byte[] {-3}), 1).values().length);
    }

    @Test
    void aDataFolderBecomesTrainAndTestDatasets() throws Exception {
        Path data = Files.createDirectories(dir.resolve("mine"));
        ByteBuffer x = ByteBuffer.allocate(4 * 3 * 2 * 5).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 30; i++) x.putFloat(i);
        npy("mine/x_train.npy", dict("<f4", "(3, 2, 5)"), x.array());
        npy("mine/y_train.npy", dict("<i8", "(3,)"), ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(4).putLong(1).array());
        npy("mine/x_test.npy", dict("<f4", "(1, 2, 5)"), new byte[40]);
        npy("mine/y_test.npy", dict("|u1", "(1,)"), new byte[] {2});
        NpyDatasets.Splits s = NpyDatasets.load(data, 0);
        assertEquals(3, s.train().size());
        assertEquals(2, s.train().steps());
        assertEquals(5, s.train().features());
        assertEquals(5, s.train().classes(), "classes: the largest label plus one");
        assertArrayEquals(new int[] {0, 4, 1}, s.train().y());
        assertEquals(29f, s.train().x()[29]);
        assertEquals(10, NpyDatasets.load(data, 10).test().classes());
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyDatasets.load(data, 3));
        assertTrue(e.getMessage().contains("y_train.npy: label 4 at index 1 is outside [0, 3)"), e.getMessage());
        assertNull(s.train().lengths(), "no lengths file: every sample has all T steps");
        npy("mine/lengths_train.npy", dict("<i8", "(3,)"), ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(2).putLong(1).putLong(2).array());
        npy("mine/lengths_test.npy", dict("|u1", "(1,)"), new byte[] {1});
        s = NpyDatasets.load(data, 0);
        assertArrayEquals(new int[] {2, 1, 2}, s.train().lengths());
        assertTrue(s.train().hasVariableLengths());
        assertArrayEquals(new int[] {1}, s.test().lengths());
        assertArrayEquals(new int[] {1, 2}, new DataSelection("npy", 0, 0.4, Preprocess.SCALE).split(s.train(), s.test()).validation().lengths(),
                "the validation split keeps its samples' lengths");
        npy("mine/lengths_train.npy", dict("<i8", "(3,)"), ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(2).putLong(3).putLong(2).array());
        e = assertThrows(NpyFormatException.class, () -> NpyDatasets.load(data, 0));
        assertTrue(e.getMessage().contains("lengths_train.npy: length 3 at index 1 is outside [1, 2] (x_train.npy has 2 steps)"), e.getMessage());
        npy("mine/lengths_train.npy", dict("<i8", "(3,)"), ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(2).putLong(0).putLong(2).array());
        e = assertThrows(NpyFormatException.class, () -> NpyDatasets.load(data, 0));
        assertTrue(e.getMessage().contains("length 0 at index 1 is outside [1, 2]"), e.getMessage());
        npy("mine/lengths_train.npy", dict("<i8", "(2,)"), ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(2).putLong(2).array());
        e = assertThrows(NpyFormatException.class, () -> NpyDatasets.load(data, 0));
        assertTrue(e.getMessage().contains("lengths_train.npy: expected 3 lengths, one per sample of x_train.npy, found 2"), e.getMessage());
        npy("mine/lengths_train.npy", dict("<f4", "(3,)"), new byte[12]);
        e = assertThrows(NpyFormatException.class, () -> NpyDatasets.load(data, 0));
        assertTrue(e.getMessage().contains("lengths_train.npy: expected an integer array") && e.getMessage().contains("found dtype '<f4'")
                && e.getMessage().contains("lengths.astype('int64')"), e.getMessage());
        npy("mine/lengths_train.npy", dict("<i8", "(3, 1)"), new byte[24]);
        e = assertThrows(NpyFormatException.class, () -> NpyDatasets.load(data, 0));
        assertTrue(e.getMessage().contains("lengths_train.npy"), e.getMessage());
        Files.delete(data.resolve("lengths_train.npy"));
        Files.delete(data.resolve("lengths_test.npy"));
        npy("mine/x_test.npy", dict("<f4", "(1, 5, 2)"), new byte[40]);
        e = assertThrows(NpyFormatException.class, () -> NpyDatasets.load(data, 0));
        assertTrue(e.getMessage().contains("x_test.npy: expected (N, 2, 5) like x_train.npy, found (1, 5, 2)"), e.getMessage());
        Files.delete(data.resolve("y_test.npy"));
        e = assertThrows(NpyFormatException.class, () -> NpyDatasets.load(data, 0));
        assertTrue(e.getMessage().contains("y_test.npy: missing"), e.getMessage());
    }
}
