package dev.jrnn.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files for tests. */
final class Idx {

    private Idx() {
    }

    /** An unsigned-byte IDX file: header {@code 00 00 08 dims.length}, sizes, then {@code data}. */
    static byte[] ubyte(byte[] data, int... dims) {
        return withHeader(0x08, data, dims);
    }

    /** An IDX file with any type code; {@code data} is written as given. */
    static byte[] withHeader(int type, byte[] data, int... dims) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(type);
        out.write(dims.length);
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
        }
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** (n, rows, cols) images whose pixel {@code i} is {@code (i * 7 + 3) % 256}. */
    static byte[] images(int n, int rows, int cols) {
        byte[] px = new byte[n * rows * cols];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) pixel(i);
        }
        return ubyte(px, n, rows, cols);
    }

    /** The unsigned value of pixel {@code i} written by {@link #images}. */
    static int pixel(int i) {
        return (i * 7 + 3) % 256;
    }

    /** (n) labels {@code i % classes}. */
    static byte[] labels(int n, int classes) {
        byte[] y = new byte[n];
        for (int i = 0; i < n; i++) {
            y[i] = (byte) (i % classes);
        }
        return ubyte(y, n);
    }

    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, bytes);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
