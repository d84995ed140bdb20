package dev.jrnn.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Reads NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0), the way a user brings their
 * own arrays ({@code np.save("x_train.npy", x)}).
 *
 * <p>Layout (NumPy's {@code numpy.lib.format}): the magic {@code \x93NUMPY}, a major and a minor
 * version byte, the header length (little-endian uint16 in version 1, uint32 in 2 and 3), the
 * header (a Python dict literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, T, F), }},
 * ASCII or, in version 3, UTF-8, padded with spaces and ending in a newline), then the elements in
 * C (row-major) order.
 *
 * <p>Supported element types: floats {@code f4} and {@code f8} (read as float32), and integers
 * {@code i1 i2 i4 i8 u1 u2 u4 u8} (read as long), in either byte order ({@code <}, {@code >},
 * {@code |} for one byte, {@code =} native). Every check failure is an {@link NpyFormatException}
 * that names the file, says what was expected and what was found, and what to do: a bad magic or
 * version, a malformed header, an unsupported dtype (object, string, complex, bool, structured),
 * Fortran order, a shape that is not the one the caller needs, fewer data bytes than the shape
 * declares (truncated) or more (trailing data). The data size is checked against the file's size
 * before anything is allocated, so a header that lies about its shape cannot exhaust memory.
 */
public final class NpyReader {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** The largest array jrnn reads: a Java array's limit. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private NpyReader() {
    }

    /**
     * A float array read from a {@code .npy} file.
     *
     * @param shape  the shape the header declares, outermost first
     * @param dtype  the header's {@code descr}, e.g. {@code <f4}
     * @param values the elements, row-major, as float32
     */
    public record Floats(int[] shape, String dtype, float[] values) {
    }

    /**
     * An integer array read from a {@code .npy} file.
     *
     * @param shape  the shape the header declares, outermost first
     * @param dtype  the header's {@code descr}, e.g. {@code <i8}
     * @param values the elements, row-major
     */
    public record Integers(int[] shape, String dtype, long[] values) {
    }

    /** The parsed header: element type, byte order, item size and shape. */
    private record Header(String descr, char kind, ByteOrder order, int itemSize, int[] shape, long elements) {
    }

    /**
     * Reads a float array ({@code f4} or {@code f8}) with {@code dims} dimensions.
     *
     * @param file the {@code .npy} file
     * @param dims the number of dimensions the caller needs
     * @return the array, float64 values rounded to float32
     * @throws NpyFormatException when the file is not such an array (see the class comment)
     * @throws IOException        when it cannot be read
     */
    public static Floats readFloats(Path file, int dims) throws IOException {
        byte[] bytes = readAll(file);
        Header h = header(file, bytes, dims);
        if (h.kind != 'f') {
            throw new NpyFormatException(file, "expected a float array (dtype float32 '<f4' or float64 '<f8'), found dtype '"
                    + h.descr + "'; save it with x.astype('float32')");
        }
        ByteBuffer data = data(file, bytes, h);
        float[] out = new float[(int) h.elements];
        if (h.itemSize == 4) {
            data.asFloatBuffer().get(out);
        } else {
            for (int i = 0; i < out.length; i++) out[i] = (float) data.getDouble(8 * i);
        }
        return new Floats(h.shape, h.descr, out);
    }

    /**
     * Reads an integer array ({@code i1 i2 i4 i8 u1 u2 u4 u8}) with {@code dims} dimensions.
     *
     * @param file the {@code .npy} file
     * @param dims the number of dimensions the caller needs
     * @return the array
     * @throws NpyFormatException when the file is not such an array (see the class comment), or an
     *         unsigned 64-bit value does not fit a long
     * @throws IOException        when it cannot be read
     */
    public static Integers readIntegers(Path file, int dims) throws IOException {
        return readIntegers(file, dims, "y");
    }

    /** {@link #readIntegers(Path, int)} whose dtype error suggests {@code variable.astype('int64')}. */
    static Integers readIntegers(Path file, int dims, String variable) throws IOException {
        byte[] bytes = readAll(file);
        Header h = header(file, bytes, dims);
        if (h.kind != 'i' && h.kind != 'u') {
            throw new NpyFormatException(file, "expected an integer array (e.g. dtype int64 '<i8' or uint8 '|u1'), found dtype '"
                    + h.descr + "'; save it with " + variable + ".astype('int64')");
        }
        ByteBuffer data = data(file, bytes, h);
        long[] out = new long[(int) h.elements];
        boolean unsigned = h.kind == 'u';
        for (int i = 0; i < out.length; i++) {
            int at = i * h.itemSize;
            out[i] = switch (h.itemSize) {
                case 1 -> unsigned ? data.get(at) & 0xffL : data.get(at);
                case 2 -> unsigned ? data.getShort(at) & 0xffffL : data.getShort(at);
                case 4 -> unsigned ? data.getInt(at) & 0xffffffffL : data.getInt(at);
                default -> data.getLong(at);
            };
            if (unsigned && h.itemSize == 8 && out[i] < 0) {
                throw new NpyFormatException(file, "element " + i + " is " + Long.toUnsignedString(out[i])
                        + ", beyond a signed 64-bit integer; store labels as int64");
            }
        }
        return new Integers(h.shape, h.descr, out);
    }

    private static byte[] readAll(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new NpyFormatException(file, "expected a .npy file, found a directory");
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new NpyFormatException(file, "no such file; expected a NumPy array saved with np.save", e);
        }
        if (size > MAX_ELEMENTS) {
            throw new NpyFormatException(file, "is " + size + " bytes; jrnn reads arrays of up to 2 GiB, split the data");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return in.readAllBytes();
        }
    }

    private static Header header(Path file, byte[] b, int dims) throws NpyFormatException {
        if (b.length < 10 || !Arrays.equals(Arrays.copyOf(b, 6), MAGIC)) {
            throw new NpyFormatException(file, "not a .npy file: expected the magic \\x93NUMPY, found "
                    + (b.length < 6 ? b.length + " bytes in all" : hex(Arrays.copyOf(b, 6))));
        }
        int major = b[6] & 0xff, minor = b[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new NpyFormatException(file, "unsupported .npy format version " + major + "." + minor
                    + ": expected 1.0, 2.0 or 3.0");
        }
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int prefix = major == 1 ? 10 : 12;
        if (b.length < prefix) throw new NpyFormatException(file, "truncated: the header length is cut off");
        long headerLen = major == 1 ? le.getShort(8) & 0xffff : le.getInt(8) & 0xffffffffL;
        if (prefix + headerLen > b.length) {
            throw new NpyFormatException(file, "truncated: the header declares " + headerLen + " bytes, the file has "
                    + (b.length - prefix) + " after the prefix");
        }
        String text = new String(b, prefix, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = field(file, text, "descr");
        String fortran = field(file, text, "fortran_order");
        String shapeText = field(file, text, "shape");
        if (fortran.equals("True")) {
            throw new NpyFormatException(file, "the array is in Fortran (column-major) order; expected C order: "
                    + "save np.ascontiguousarray(a)");
        }
        if (!fortran.equals("False")) throw new NpyFormatException(file, "malformed header: fortran_order is '" + fortran + "'");
        String d = unquote(file, descr);
        if (d.length() < 3 || "<>|=".indexOf(d.charAt(0)) < 0) {
            throw new NpyFormatException(file, "unsupported dtype '" + d + "' (structured, object or string arrays are not "
                    + "read); expected float32 '<f4', float64 '<f8' or an integer type such as '<i8'");
        }
        char order = d.charAt(0), kind = d.charAt(1);
        int itemSize;
        try {
            itemSize = Integer.parseInt(d.substring(2));
        } catch (NumberFormatException e) {
            throw new NpyFormatException(file, "unsupported dtype '" + d + "'; expected a float or integer array", e);
        }
        boolean ok = (kind == 'f' && (itemSize == 4 || itemSize == 8))
                || ((kind == 'i' || kind == 'u') && (itemSize == 1 || itemSize == 2 || itemSize == 4 || itemSize == 8));
        if (!ok) {
            throw new NpyFormatException(file, "unsupported dtype '" + d + "'; expected float32 '<f4', float64 '<f8' or an "
                    + "integer type (i1, i2, i4, i8, u1, u2, u4, u8)");
        }
        ByteOrder bo = order == '>' ? ByteOrder.BIG_ENDIAN : order == '<' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.nativeOrder();
        int[] shape = shape(file, shapeText);
        if (shape.length != dims) {
            throw new NpyFormatException(file, "expected " + dims + " dimensions, found shape " + shapeString(shape)
                    + (dims == 3 ? "; sequences are (N, T, F): samples, timesteps, features" : ""));
        }
        long elements = 1;
        for (int s : shape) {
            elements *= s;
            if (elements > MAX_ELEMENTS) {
                throw new NpyFormatException(file, "shape " + shapeString(shape) + " has more than 2^31 elements; split the data");
            }
        }
        return new Header(d, kind, bo, itemSize, shape, elements);
    }

    private static ByteBuffer data(Path file, byte[] b, Header h) throws NpyFormatException {
        int major = b[6] & 0xff, prefix = major == 1 ? 10 : 12;
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = major == 1 ? le.getShort(8) & 0xffff : le.getInt(8) & 0xffffffffL;
        long start = prefix + headerLen, need = h.elements * h.itemSize, have = b.length - start;
        if (have < need) {
            throw new NpyFormatException(file, "truncated: shape " + shapeString(h.shape) + " of " + h.descr + " needs " + need
                    + " bytes of data, found " + have);
        }
        if (have > need) {
            throw new NpyFormatException(file, "trailing data: shape " + shapeString(h.shape) + " of " + h.descr + " needs "
                    + need + " bytes of data, found " + have);
        }
        return ByteBuffer.wrap(b, (int) start, (int) need).slice().order(h.order);
    }

    /** The value text of {@code 'key': value} in the header dict. */
    private static String field(Path file, String header, String key) throws NpyFormatException {
        String t = header.strip();
        if (!t.startsWith("{") || !t.endsWith("}")) {
            throw new NpyFormatException(file, "malformed header: expected a dict literal {'descr': ..., 'fortran_order': ..., "
                    + "'shape': ...}, found " + abbreviate(t));
        }
        String k = "'" + key + "'";
        int at = t.indexOf(k);
        if (at < 0) at = t.indexOf("\"" + key + "\"");
        if (at < 0) throw new NpyFormatException(file, "malformed header: no '" + key + "' in " + abbreviate(t));
        int colon = t.indexOf(':', at + k.length());
        if (colon < 0) throw new NpyFormatException(file, "malformed header: no value for '" + key + "'");
        int i = colon + 1;
        while (i < t.length() && t.charAt(i) == ' ') i++;
        int end;
        if (i < t.length() && t.charAt(i) == '(') {
            end = t.indexOf(')', i);
            if (end < 0) throw new NpyFormatException(file, "malformed header: the shape tuple is not closed");
            end++;
        } else if (i < t.length() && (t.charAt(i) == '\'' || t.charAt(i) == '"')) {
            end = t.indexOf(t.charAt(i), i + 1);
            if (end < 0) throw new NpyFormatException(file, "malformed header: the value of '" + key + "' is not closed");
            end++;
        } else {
            end = i;
            while (end < t.length() && t.charAt(end) != ',' && t.charAt(end) != '}') end++;
        }
        return t.substring(i, end).strip();
    }

    private static String unquote(Path file, String s) throws NpyFormatException {
        if (s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"') && s.charAt(s.length() - 1) == s.charAt(0)) {
            return s.substring(1, s.length() - 1);
        }
        throw new NpyFormatException(file, "unsupported dtype " + abbreviate(s) + " (structured arrays are not read); "
                + "expected float32 '<f4', float64 '<f8' or an integer type such as '<i8'");
    }

    private static int[] shape(Path file, String s) throws NpyFormatException {
        if (!s.startsWith("(") || !s.endsWith(")")) throw new NpyFormatException(file, "malformed header: shape " + abbreviate(s));
        String inner = s.substring(1, s.length() - 1).strip();
        if (inner.isEmpty()) return new int[0];
        List<Integer> dims = new ArrayList<>();
        for (String part : inner.split(",")) {
            String p = part.strip();
            if (p.endsWith("L")) p = p.substring(0, p.length() - 1);   // Python 2's long literals
            if (p.isEmpty()) continue;
            long v;
            try {
                v = Long.parseLong(p);
            } catch (NumberFormatException e) {
                throw new NpyFormatException(file, "malformed header: shape " + abbreviate(s) + " has '" + p + "'", e);
            }
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new NpyFormatException(file, "shape " + abbreviate(s) + " has a dimension " + v + " outside [0, 2^31)");
            }
            dims.add((int) v);
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    static String shapeString(int[] shape) {
        return Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(", ", "(", shape.length == 1 ? ",)" : ")"));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format(Locale.ROOT, "%02x ", x & 0xff));
        return sb.toString().strip();
    }
}
