package dev.jrnn.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw.
 *
 * <p>Layout: a magic number {@code 00 00 TT DD} (TT = element type, DD = number of dimensions), DD
 * big-endian unsigned 32-bit sizes, then the elements in row-major order. Only type {@code 0x08}
 * (unsigned byte) is supported; it is the only one MNIST-style datasets use. Compression is
 * detected from the gzip magic bytes {@code 1f 8b}, never from the file name.
 *
 * <p>Every check failure is an {@link IdxFormatException} whose message names the file and says
 * what was expected and what was found: bad magic, unsupported type, a dimension count other than
 * the caller needs, fewer data bytes than the header declares (truncated), more bytes than it
 * declares (trailing data), or a corrupt gzip stream.
 */
public final class IdxReader {

    /** IDX element type code for unsigned bytes. */
    static final int UBYTE = 0x08;

    private static final int BUFFER = 1 << 16;
    /** The first allocation for an IDX file's data. */
    private static final long FIRST_READ = 1L << 20;
    /** Past the first read, declared sizes up to this are allocated at once, larger ones doubling. */
    private static final long DIRECT_READ = 1L << 26;

    private IdxReader() {
    }

    /**
     * Raw contents of an unsigned-byte IDX file.
     *
     * @param dims  the sizes declared in the header, outermost first, e.g. {@code [10000, 28, 28]}
     * @param bytes the elements, row-major, {@code product(dims)} bytes; read them as unsigned
     *              ({@code b & 0xff})
     */
    public record Data(int[] dims, byte[] bytes) {
    }

    /**
     * Images from a 3-dimensional IDX file.
     *
     * @param count  N, number of images
     * @param rows   image height
     * @param cols   image width
     * @param pixels (N, rows, cols) row-major unsigned bytes, 0..255 as {@code b & 0xff}
     */
    public record Images(int count, int rows, int cols, byte[] pixels) {
    }

    /**
     * Reads an unsigned-byte IDX file of any dimension count.
     *
     * @param file a raw or gzip-compressed IDX file
     * @return the declared dimensions and the data
     * @throws IdxFormatException if the file is not a well-formed unsigned-byte IDX file
     * @throws IOException        if it cannot be read
     */
    public static Data read(Path file) throws IOException {
        return read(Files.newInputStream(file), file);
    }

    /** {@link #read(Path)} from a stream, which it closes; {@code file} only names it in errors. */
    static Data read(InputStream stream, Path file) throws IOException {
        try (InputStream buffered = new BufferedInputStream(stream, BUFFER)) {
            buffered.mark(2);
            boolean gzip = buffered.read() == 0x1f && buffered.read() == 0x8b;
            buffered.reset();
            if (!gzip) {
                return parse(buffered, file, "");
            }
            try (InputStream in = new GZIPInputStream(buffered, BUFFER)) {
                return parse(in, file, " (after gzip decompression)");
            } catch (EOFException e) {
                // NB: GZIPInputStream reports a cut-off deflate stream as EOFException; our own
                // length checks use readNBytes and never throw it.
                throw new IdxFormatException(file, "corrupt gzip data: the compressed stream ends early ("
                        + e.getMessage() + "); the file is probably cut off, fetch it again", e);
            } catch (ZipException e) {
                throw new IdxFormatException(file, "corrupt gzip data: " + e.getMessage()
                        + "; fetch the file again", e);
            }
        }
    }

    /**
     * Reads images: an IDX file with 3 dimensions (N, rows, cols).
     *
     * @param file a raw or gzip-compressed IDX file, e.g. {@code train-images-idx3-ubyte.gz}
     * @return the images
     * @throws IdxFormatException if the file is malformed or does not have 3 dimensions
     * @throws IOException        if it cannot be read
     */
    public static Images readImages(Path file) throws IOException {
        Data d = read(file);
        if (d.dims().length != 3) {
            throw new IdxFormatException(file, "expected 3 dimensions (images x rows x cols), found "
                    + d.dims().length + " (" + shape(d.dims()) + ")");
        }
        return new Images(d.dims()[0], d.dims()[1], d.dims()[2], d.bytes());
    }

    /**
     * Reads labels: an IDX file with 1 dimension (N).
     *
     * @param file a raw or gzip-compressed IDX file, e.g. {@code train-labels-idx1-ubyte.gz}
     * @return (N) labels, each 0..255
     * @throws IdxFormatException if the file is malformed or does not have 1 dimension
     * @throws IOException        if it cannot be read
     */
    public static int[] readLabels(Path file) throws IOException {
        Data d = read(file);
        if (d.dims().length != 1) {
            throw new IdxFormatException(file, "expected 1 dimension (labels), found "
                    + d.dims().length + " (" + shape(d.dims()) + ")");
        }
        byte[] b = d.bytes();
        int[] labels = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            labels[i] = b[i] & 0xff;
        }
        return labels;
    }

    /** Parses header and data from {@code in}; {@code where} qualifies byte counts in messages. */
    private static Data parse(InputStream in, Path file, String where) throws IOException {
        byte[] magic = in.readNBytes(4);
        if (magic.length == 0) {
            throw new IdxFormatException(file, "empty file" + where + ": expected an IDX header");
        }
        if (magic.length < 4 || magic[0] != 0 || magic[1] != 0) {
            throw new IdxFormatException(file, "not an IDX file: expected magic number 00 00 08 <dims>, found "
                    + hex(magic) + where + textHint(magic));
        }
        int type = magic[2] & 0xff;
        if (type != UBYTE) {
            throw new IdxFormatException(file, String.format(
                    "unsupported IDX element type 0x%02X (%s): only 0x08 (unsigned byte) is supported",
                    type, typeName(type)));
        }
        int rank = magic[3] & 0xff;
        if (rank == 0) {
            throw new IdxFormatException(file, "IDX header declares 0 dimensions: expected at least 1");
        }
        byte[] sizes = in.readNBytes(4 * rank);
        if (sizes.length < 4 * rank) {
            throw new IdxFormatException(file, "truncated header: " + rank + " dimensions need "
                    + (4 + 4 * rank) + " header bytes, found " + (4 + sizes.length) + where);
        }
        int[] dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++) {
            long size = ((sizes[4 * i] & 0xffL) << 24) | ((sizes[4 * i + 1] & 0xffL) << 16)
                    | ((sizes[4 * i + 2] & 0xffL) << 8) | (sizes[4 * i + 3] & 0xffL);
            if (size > Integer.MAX_VALUE) {
                throw new IdxFormatException(file, "dimension " + i + " declares " + size
                        + " elements: at most " + Integer.MAX_VALUE + " are supported");
            }
            dims[i] = (int) size;
            total *= size;
            // NB: checked inside the loop so the product cannot overflow a long.
            if (total > Integer.MAX_VALUE - 16) {
                throw new IdxFormatException(file, "header declares " + shape(Arrays.copyOf(dims, i + 1))
                        + "... elements: more than the " + (Integer.MAX_VALUE - 16) + " a Java array holds");
            }
        }
        // NB: the first 1 MiB, then, while the data lasts, straight to the declared size when that is at
        // most 64 MiB (else doubling): readNBytes(len) gathers 8 KiB chunks and copies them (a copy of
        // Fashion-MNIST's 47 MB of training images), and allocating the declared size before any data
        // has come would let a corrupt 20-byte file cost up to that much before its truncation shows
        byte[] data = new byte[(int) Math.min(total, FIRST_READ)];
        int got = in.readNBytes(data, 0, data.length);
        while (got == data.length && data.length < total) {
            long next = total <= DIRECT_READ ? total : Math.min(total, 2L * data.length);
            data = Arrays.copyOf(data, (int) next);
            got += in.readNBytes(data, got, data.length - got);
        }
        if (got < total) {
            throw new IdxFormatException(file, "truncated: header declares " + shape(dims) + " = " + total
                    + " bytes of data, found " + got + where);
        }
        // NB: reading on to the end also makes GZIPInputStream check the trailer's CRC and size.
        if (in.read() != -1) {
            long extra = 1 + in.transferTo(OutputStream.nullOutputStream());
            throw new IdxFormatException(file, "trailing data: header declares " + shape(dims) + " = " + total
                    + " bytes of data, found " + (total + extra) + " (" + extra + " extra)" + where);
        }
        return new Data(dims, data);
    }

    /** {@code 10000x28x28}. */
    static String shape(int[] dims) {
        return Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining("x"));
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(s.isEmpty() ? "" : " ").append(String.format("%02x", x & 0xff));
        }
        return b.length < 4 ? s + " (only " + b.length + " bytes)" : s.toString();
    }

    /** Says so when the file starts like text, e.g. an HTML error page saved in its place. */
    private static String textHint(byte[] b) {
        for (byte x : b) {
            if (x < 0x09 || x > 0x7e) {
                return "";
            }
        }
        return " (the file starts with text \"" + new String(b, java.nio.charset.StandardCharsets.US_ASCII).strip()
                + "\"; an HTML error page saved in its place?)";
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x09 -> "signed byte";
            case 0x0B -> "int16";
            case 0x0C -> "int32";
            case 0x0D -> "float32";
            case 0x0E -> "float64";
            default -> "not an IDX type";
        };
    }
}
