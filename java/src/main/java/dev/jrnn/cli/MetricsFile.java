package dev.jrnn.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.jrnn.experiment.JsonErrors;
import dev.jrnn.io.Checkpoint;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads back the {@code train --metrics-out} JSON, so that {@code train --resume} may replace the
 * metrics of the run it continues (and only those) without {@code --overwrite}.
 */
final class MetricsFile {
    private MetricsFile() {}

    /** The fields that identify a run. */
    record Identity(String model, String dataset, long seed) {}

    /** Larger files are not metrics this CLI wrote; NB: keeps a lying or huge file from filling the heap. */
    static final long MAX_BYTES = 16L << 20;

    /**
     * Reads the identity of the run a metrics file describes.
     *
     * @throws IOException naming the file and what is wrong; nothing else escapes
     */
    static Identity read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException(file + ": expected a jrnn metrics JSON of at most 16 MiB, found " + size + " bytes");
        }
        return parse(file, Files.readAllBytes(file));
    }

    /** {@link #read} on bytes in memory; {@code file} only names them in errors. */
    static Identity parse(Path file, byte[] bytes) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": expected a jrnn metrics JSON (UTF-8 text), found binary data");
        }
        try {
            JsonReader r = new JsonReader(new StringReader(text));
            r.setStrictness(Strictness.STRICT);
            r.setNestingLimit(64);
            JsonElement root = JsonParser.parseReader(r);
            if (!root.isJsonObject()) throw new IOException(file + ": expected a JSON object of jrnn metrics, found " + kind(root));
            JsonObject o = root.getAsJsonObject();
            return new Identity(string(file, o, "model"), string(file, o, "dataset"), number(file, o, "seed"));
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException(file + ": expected a jrnn metrics JSON, found invalid JSON (" + JsonErrors.problem(e) + ")", e);
        }
    }

    /** Whether {@code file} holds the metrics of the run saved in {@code c}; false when it cannot be read. */
    static boolean isOf(Path file, Checkpoint c) {
        if (!Files.isRegularFile(file) || c.training() == null) return false;
        try {
            Identity id = read(file);
            return id.model().equals(c.model().shortName()) && id.dataset().equals(c.training().data().dataset())
                    && id.seed() == c.training().config().seed();
        } catch (IOException e) {
            return false;
        }
    }

    private static String string(Path file, JsonObject o, String key) throws IOException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IOException(file + ": expected a string '" + key + "' in the jrnn metrics, found " + kind(e));
        }
        return e.getAsString();
    }

    private static long number(Path file, JsonObject o, String key) throws IOException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IOException(file + ": expected a number '" + key + "' in the jrnn metrics, found " + kind(e));
        }
        try {
            return e.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
        } catch (ArithmeticException | NumberFormatException x) {
            throw new IOException(file + ": expected an integer '" + key + "' in the jrnn metrics, found " + e);
        }
    }

    private static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) return "none";
        if (e.isJsonObject()) return "an object";
        if (e.isJsonArray()) return "an array";
        return e.getAsJsonPrimitive().isString() ? "a string" : e.getAsJsonPrimitive().isNumber() ? "a number" : "a boolean";
    }
}
