package dev.jrnn.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.jrnn.io.CheckpointFormatException.Problem;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors container (Hugging Face), F32 tensors only:
 * <pre>
 *   u64 little-endian N | N bytes of UTF-8 JSON header | data section
 *   header = { "__metadata__": {string: string},
 *              "&lt;name&gt;": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ... }
 * </pre>
 * Offsets are byte positions in the data section; tensors are row-major little-endian and must
 * tile the data section exactly (no gaps, overlaps or trailing bytes). The header is padded with
 * spaces to a multiple of 8 bytes, as the reference writer does.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Largest header this reader accepts (the reference implementation uses 100 MB). */
    static final long MAX_HEADER = 100L << 20;

    /**
     * One F32 tensor.
     *
     * @param name  tensor name, e.g. {@code lstm.W}
     * @param shape dimensions, row-major; empty for a scalar
     * @param data  product(shape) floats, row-major; kept as given, not copied
     */
    public record Tensor(String name, int[] shape, float[] data) {
        /**
         * Checks that the data fills the shape.
         *
         * @throws NullPointerException     if {@code shape} or {@code data} is null
         * @throws IllegalArgumentException if a dimension is negative or {@code data.length} is not
         *                                  the product of the dimensions
         */
        public Tensor {
            long n = elements(shape);
            if (n != data.length) {
                throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape)
                        + " holds " + n + " elements, found " + data.length);
            }
        }

        /** Number of elements of a shape (1 for a scalar). */
        static long elements(int[] shape) {
            long n = 1;
            for (int d : shape) {
                if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
                n *= d;
            }
            return n;
        }
    }

    /**
     * A file's contents. Both maps are unmodifiable when read from a file.
     *
     * @param metadata the header's {@code __metadata__} (empty when absent)
     * @param tensors  tensors by name, in the order of their offsets
     */
    public record Contents(Map<String, String> metadata, Map<String, Tensor> tensors) {}

    /**
     * Writes {@code tensors} (in list order) and {@code metadata} to {@code file}, atomically (see
     * {@link AtomicFiles}).
     *
     * @param file     the file to write; its directory is created if needed
     * @param metadata the header's {@code __metadata__}, string to string; omitted when empty
     * @param tensors  the tensors, stored in list order
     * @throws IllegalArgumentException if two tensors share a name or the file would exceed 2 GiB
     * @throws IOException              if the file cannot be written; a previous file is then left
     *                                  intact
     */
    public static void write(Path file, Map<String, String> metadata, List<Tensor> tensors) throws IOException {
        AtomicFiles.write(file, encode(metadata, tensors));
    }

    /**
     * Encodes a safetensors file in memory.
     *
     * @param metadata the header's {@code __metadata__}, string to string; omitted when empty
     * @param tensors  the tensors, stored in list order
     * @return the bytes of a safetensors file holding {@code tensors} in list order
     * @throws IllegalArgumentException if two tensors share a name or the file would exceed 2 GiB
     */
    public static byte[] encode(Map<String, String> metadata, List<Tensor> tensors) {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject md = new JsonObject();
            metadata.forEach(md::addProperty);
            header.add("__metadata__", md);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            if (header.has(t.name())) throw new IllegalArgumentException("duplicate tensor name " + t.name());
            JsonObject e = new JsonObject();
            e.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (int d : t.shape()) shape.add(d);
            e.add("shape", shape);
            JsonArray off = new JsonArray();
            off.add(offset);
            offset += 4L * t.data().length;
            off.add(offset);
            e.add("data_offsets", off);
            header.add(t.name(), e);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        long total = 8L + padded + offset;
        if (total > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensors too large for one file: " + total + " bytes");
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) b.put((byte) ' ');
        for (Tensor t : tensors) {
            b.asFloatBuffer().put(t.data());
            b.position(b.position() + 4 * t.data().length);
        }
        return b.array();
    }

    /**
     * Reads and checks a safetensors file; the whole file is read into memory.
     *
     * @param file a safetensors file of F32 tensors, at most 2 GiB
     * @return its metadata and tensors
     * @throws CheckpointFormatException when the header length, the header, a dtype or the data
     *                                   section is not as the format requires
     * @throws IOException               when the file cannot be read
     */
    public static Contents read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new java.nio.file.FileSystemException(file.toString(), null, "is a directory; expected a safetensors file"
                    + " (e.g. " + file.resolve("last.safetensors") + ")");
        }
        if (!Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such file; expected a safetensors"
                    + " file (a checkpoint written by 'jrnn train --checkpoint FILE')");
        }
        long size = Files.size(file);
        if (size < 8) {
            throw new CheckpointFormatException(file, Problem.HEADER_LENGTH,
                    "expected a safetensors file (8-byte header length, JSON header, data), found only " + size + " bytes");
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(file, Problem.HEADER_LENGTH, "file of " + size
                    + " bytes is larger than this reader supports (2 GiB)");
        }
        return decode(file, Files.readAllBytes(file));
    }

    /** {@link #read} on bytes in memory; {@code file} only names them in errors. */
    static Contents decode(Path file, byte[] bytes) throws CheckpointFormatException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) {
            throw new CheckpointFormatException(file, Problem.HEADER_LENGTH,
                    "expected at least 8 bytes (the header length), found " + bytes.length);
        }
        long n = b.getLong(0);
        long rest = bytes.length - 8L;
        if (n < 2 || n > rest || n > MAX_HEADER) {
            throw new CheckpointFormatException(file, Problem.HEADER_LENGTH, "header length " + Long.toUnsignedString(n)
                    + " does not fit: the file has " + rest + " bytes after the length field"
                    + (n > rest ? " (truncated, or not a safetensors file)" : ""));
        }
        String json = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        JsonObject header;
        try {
            header = parseHeader(file, json);
        } catch (CheckpointFormatException e) {
            long end = jsonEnd(bytes);
            // NB: the length is to blame when the JSON runs past it, or when what follows the JSON inside it
            // is binary (the start of the data section), not text such as a writer's space padding
            if (end < 0 || end == n || (end < n && text(bytes, 8 + (int) end, 8 + (int) n))) throw e;
            throw new CheckpointFormatException(file, Problem.HEADER_LENGTH, "the header length field says " + n
                    + " bytes, but the JSON header is " + end + " bytes long: the file is damaged (or was edited by"
                    + " hand); re-export it from its source", e);
        }
        int dataStart = 8 + (int) n;
        long dataLength = bytes.length - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                metadata = metadata(file, e.getValue());
                continue;
            }
            entries.add(entry(file, e.getKey(), e.getValue()));
        }
        entries.sort((x, y) -> Long.compare(x.begin, y.begin));
        long expect = 0;
        for (Entry e : entries) {
            if (e.begin != expect) {
                throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, "tensor " + e.name + " starts at byte "
                        + e.begin + " of the data section, expected " + expect + " (tensors must tile the data without gaps or overlaps)");
            }
            expect = e.end;
        }
        if (expect > dataLength) {
            Entry last = entries.get(entries.size() - 1);
            throw new CheckpointFormatException(file, Problem.TRUNCATED, "truncated: the header places tensor " + last.name
                    + " at bytes [" + last.begin + ", " + last.end + ") of the data section, which has only "
                    + dataLength + " bytes (" + (expect - dataLength) + " missing)");
        }
        if (expect < dataLength) {
            throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, "the data section has "
                    + dataLength + " bytes but the tensors use only " + expect + ": " + (dataLength - expect)
                    + " too many (the header length field is off by as much, or data was appended)");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            float[] data = new float[(int) ((e.end - e.begin) / 4)];
            ByteBuffer slice = ByteBuffer.wrap(bytes, dataStart + (int) e.begin, (int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
            slice.asFloatBuffer().get(data);
            tensors.put(e.name, new Tensor(e.name, e.shape, data));
        }
        return new Contents(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors));
    }

    private record Entry(String name, int[] shape, long begin, long end) {}

    private static JsonObject parseHeader(Path file, String json) throws CheckpointFormatException {
        try {
            JsonReader r = new JsonReader(new StringReader(json));
            r.setStrictness(Strictness.STRICT);
            JsonElement root = JsonParser.parseReader(r);
            if (r.peek() != JsonToken.END_DOCUMENT) throw new JsonParseException("text after the JSON object");
            if (!root.isJsonObject()) throw new JsonParseException("expected a JSON object, found " + kind(root));
            return root.getAsJsonObject();
        } catch (JsonParseException | IOException | IllegalStateException e) {
            String start = json.length() > 40 ? json.substring(0, 40) + "..." : json;
            throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, "the header is not a safetensors JSON object ("
                    + jsonProblem(e) + "); it starts with " + new JsonPrimitive(start), e);
        }
    }

    /**
     * Where a JSON object starting at byte 8 ends (bytes after the length field), by matching braces
     * outside strings; -1 when it does not start with '{' or does not end within {@link #MAX_HEADER}.
     */
    static long jsonEnd(byte[] bytes) {
        if (bytes.length <= 8 || bytes[8] != '{') return -1;
        int depth = 0;
        boolean inString = false;
        int limit = (int) Math.min(bytes.length, 8L + MAX_HEADER);
        for (int i = 8; i < limit; i++) {
            byte c = bytes[i];
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i - 7L;
            }
        }
        return -1;
    }

    private static boolean text(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if ((b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' && b[i] != '\r') || b[i] == 0x7f) return false;
        }
        return true;
    }

    /** A Gson error without its class names, its advice to parse leniently and its troubleshooting URL. */
    static String jsonProblem(Throwable e) {
        Throwable t = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith(e.getCause().getClass().getName())
                ? e.getCause() : e;
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int see = m.indexOf("\nSee ");
        if (see >= 0) m = m.substring(0, see);
        m = m.replaceFirst("^[a-z.]+(Exception|Error): ", "")
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON")
                .replaceFirst(" path \\$\\S*$", "").strip();
        if (m.startsWith("End of input")) m = "unexpected end of input" + m.substring(12);
        return m.isEmpty() ? "invalid JSON" : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }

    private static Map<String, String> metadata(Path file, JsonElement md) throws CheckpointFormatException {
        if (!md.isJsonObject()) {
            throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER,
                    "__metadata__ must be an object of strings, found " + kind(md));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : md.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, "__metadata__." + e.getKey()
                        + " must be a string, found " + kind(v));
            }
            out.put(e.getKey(), v.getAsString());
        }
        return out;
    }

    private static Entry entry(Path file, String name, JsonElement el) throws CheckpointFormatException {
        String where = "tensor " + name + ": ";
        if (!el.isJsonObject()) {
            throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, where + "expected an object with dtype, shape and data_offsets, found " + kind(el));
        }
        JsonObject o = el.getAsJsonObject();
        for (String k : new String[] {"dtype", "shape", "data_offsets"}) {
            if (!o.has(k)) throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, where + "missing '" + k + "'");
        }
        JsonElement dtype = o.get("dtype");
        if (!dtype.isJsonPrimitive() || !dtype.getAsJsonPrimitive().isString()) {
            throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, where + "dtype must be a string, found " + kind(dtype));
        }
        if (!dtype.getAsString().equals("F32")) {
            throw new CheckpointFormatException(file, Problem.UNSUPPORTED_DTYPE, where + "expected dtype F32, found " + dtype.getAsString());
        }
        long[] shape = longs(file, where + "shape", o.get("shape"), -1);
        long[] off = longs(file, where + "data_offsets", o.get("data_offsets"), 2);
        int[] dims = new int[shape.length];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, where + "dimension " + shape[i] + " is too large");
            }
            dims[i] = (int) shape[i];
            elements = Math.multiplyHigh(elements, shape[i]) != 0 ? Long.MAX_VALUE : elements * shape[i];
        }
        if (off[1] < off[0] || elements > Integer.MAX_VALUE || off[1] - off[0] != 4 * elements) {
            throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, where + "shape " + Arrays.toString(dims)
                    + " of F32 needs " + (elements > Integer.MAX_VALUE ? "more than 8 GiB" : (4 * elements) + " bytes")
                    + ", data_offsets [" + off[0] + ", " + off[1] + "] span " + (off[1] - off[0]));
        }
        return new Entry(name, dims, off[0], off[1]);
    }

    private static long[] longs(Path file, String what, JsonElement el, int length) throws CheckpointFormatException {
        if (!el.isJsonArray() || (length >= 0 && el.getAsJsonArray().size() != length)) {
            throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, what + " must be an array of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers, found " + el);
        }
        JsonArray a = el.getAsJsonArray();
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement x = a.get(i);
            long v;
            try {
                if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) throw new NumberFormatException();
                v = x.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
            } catch (NumberFormatException | ArithmeticException e) {
                v = -1;
            }
            if (v < 0) {
                throw new CheckpointFormatException(file, Problem.MALFORMED_HEADER, what
                        + " must hold non-negative integers, found " + el);
            }
            out[i] = v;
        }
        return out;
    }

    private static String kind(JsonElement e) {
        if (e.isJsonObject()) return "an object";
        if (e.isJsonArray()) return "an array";
        if (e.isJsonNull()) return "null";
        return e.toString();
    }
}
