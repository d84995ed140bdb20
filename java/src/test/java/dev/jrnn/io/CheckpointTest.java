package dev.jrnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec.Cell;
import dev.jrnn.cpu.VectorBackend;
import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Dataset;
import dev.jrnn.data.Preprocess;
import dev.jrnn.io.CheckpointFormatException.Problem;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.EpochRecord;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    static final DataSelection DATA = new DataSelection("mnist", 500, 0.1, Preprocess.binarize(0.25f));

    /** LSTM(6, seq) -> GRU(5) -> Dense(4, softmax) on (3, 2) inputs: every tensor kind. */
    static Sequential mixedModel() {
        return Sequential.builder().input(3, 2).add(new LSTM(6, Activation.TANH, true))
                .add(new GRU(5, Activation.RELU, false)).add(new Dense(4, Activation.SOFTMAX)).build();
    }

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    static Checkpoint sample() {
        Sequential m = mixedModel();
        int p = m.paramCount();
        List<EpochRecord> history = List.of(new EpochRecord(1, 1.5, 0.25, 1.25, 0.5, 2.0, 250.0),
                new EpochRecord(2, 1.0, 0.5, Double.NaN, Double.NaN, 1.5, 300.0));
        TrainConfig cfg = TrainConfig.defaults().withSeed(77).withBatchSize(16).withLearningRate(3e-3f);
        var training = new Checkpoint.Training(cfg, random(p, 2), random(p, 3), 123, 2, 5, DATA, "cpu", history,
                new Evaluation(0.75, 0.8125, 32, 0.5));
        return new Checkpoint(m, random(p, 1), training);
    }

    @Test
    void roundTripKeepsEverything() throws IOException {
        Checkpoint c = sample();
        Path f = dir.resolve("c.safetensors");
        c.save(f);
        Checkpoint r = Checkpoint.load(f);
        assertEquals(ModelJson.toJson(c.model()), ModelJson.toJson(r.model()));
        assertArrayEquals(c.params(), r.params());
        var a = c.training();
        var b = r.training();
        assertArrayEquals(a.m(), b.m());
        assertArrayEquals(a.v(), b.v());
        assertEquals(a.config(), b.config());
        assertEquals(a.step(), b.step());
        assertEquals(a.epochsDone(), b.epochsDone());
        assertEquals(a.epochs(), b.epochs());
        assertEquals(a.data(), b.data());
        assertEquals(a.backend(), b.backend());
        assertEquals(a.history(), b.history());
        assertEquals(a.test(), b.test());
        assertFalse(b.finished());
    }

    @Test
    void weightsOnlyRoundTrip() throws IOException {
        Sequential m = mixedModel();
        Path f = dir.resolve("w.safetensors");
        new Checkpoint(m, random(m.paramCount(), 5), null).save(f);
        Checkpoint r = Checkpoint.load(f);
        assertNull(r.training());
        assertArrayEquals(random(m.paramCount(), 5), r.params());
        assertFalse(SafeTensors.read(f).tensors().containsKey("adam.m"));
    }

    @Test
    void fileLayoutIsSafetensors() throws IOException {
        Checkpoint c = sample();
        Path f = dir.resolve("c.safetensors");
        c.save(f);
        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, n % 8, "header padded to 8 bytes");
        JsonObject h = JsonParser.parseString(new String(bytes, 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
        JsonObject md = h.getAsJsonObject("__metadata__");
        assertEquals("jrnn.checkpoint", md.get("format").getAsString());
        assertEquals("1", md.get("format_version").getAsString());
        JsonObject training = JsonParser.parseString(md.get("training").getAsString()).getAsJsonObject();
        assertEquals(77, training.get("seed").getAsLong());
        assertEquals(2, training.get("epochs_done").getAsInt());
        assertEquals("mnist", training.getAsJsonObject("data").get("dataset").getAsString());
        // LSTM(6) on 2 features: W (24, 2), R (24, 6), b (24); GRU(5) on 6: bW, bR (15); Dense W (4, 5).
        assertEquals("[24,2]", h.getAsJsonObject("lstm.W").get("shape").toString());
        assertEquals("[24,6]", h.getAsJsonObject("lstm.R").get("shape").toString());
        assertEquals("[24]", h.getAsJsonObject("lstm.b").get("shape").toString());
        assertEquals("[15,6]", h.getAsJsonObject("gru.W").get("shape").toString());
        assertEquals("[15]", h.getAsJsonObject("gru.bR").get("shape").toString());
        assertEquals("[4,5]", h.getAsJsonObject("dense.W").get("shape").toString());
        assertEquals("F32", h.getAsJsonObject("dense.b").get("dtype").getAsString());
        assertEquals("[" + c.params().length + "]", h.getAsJsonObject("adam.v").get("shape").toString());
        // Little-endian F32 at the stated offsets: lstm.W starts the data section.
        int start = 8 + (int) n;
        assertEquals(0, h.getAsJsonObject("lstm.W").getAsJsonArray("data_offsets").get(0).getAsInt());
        assertEquals(c.params()[0], b.getFloat(start));
        int gruBR = h.getAsJsonObject("gru.bR").getAsJsonArray("data_offsets").get(0).getAsInt();
        RnnOffsets o = new RnnOffsets(c.model());
        assertEquals(c.params()[o.gruBR], b.getFloat(start + gruBR));
    }

    /** Offset of gru.bR in the flat buffer, computed independently of TensorLayout. */
    record RnnOffsets(int gruBR) {
        RnnOffsets(Sequential m) {
            this(m.paramOffset(1) + 15 * 6 + 15 * 5 + 15);
        }
    }

    @Test
    void atomicWriteLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("sub/last.safetensors");
        sample().save(f);
        sample().save(f);   // replaces
        try (Stream<Path> s = Files.list(f.getParent())) {
            assertEquals(List.of(f), s.toList());
        }
        // A failed write (the target is a non-empty directory) keeps the target and removes its temporary file.
        Path blocked = Files.createDirectories(dir.resolve("blocked.safetensors"));
        Files.writeString(blocked.resolve("keep"), "x");
        assertThrows(IOException.class, () -> sample().save(blocked));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().endsWith(".tmp")).count());
        }
        // Leftovers of a killed writer are found and removed.
        Files.writeString(f.resolveSibling(".last.safetensors.123.tmp"), "partial");
        assertEquals(1, AtomicFiles.deleteStaleTemporaries(f));
        assertTrue(Files.exists(f));
    }

    @Test
    void resumeFromFileEqualsUninterruptedRunBitForBit() throws IOException {
        Sequential m = Sequential.notebook(Cell.LSTM, 8, 2, Activation.TANH, 0.2, 6, 5, 3);
        Dataset d = toy(96, 6, 5, 3);
        TrainConfig cfg = TrainConfig.defaults().withBatchSize(32).withSeed(21).withLearningRate(5e-3f);
        Trainer.State whole;
        try (var be = new VectorBackend(2); Trainer t = new Trainer(m, be, cfg)) {
            t.fit(d, 2, null);
            whole = t.state();
        }
        Path f = dir.resolve("half.safetensors");
        try (var be = new VectorBackend(2); Trainer t = new Trainer(m, be, cfg)) {
            t.fit(d, 1, null);
            Checkpoint.capture(t.network().model(), t.config(), t.state(), 2, DATA, be.name(), List.of(), null).save(f);
        }
        Checkpoint c = Checkpoint.load(f);
        Trainer.State resumed;
        try (var be = new VectorBackend(2); Trainer t = new Trainer(c.model(), be, c.training().config())) {
            t.restore(c.trainerState());
            t.fit(d, 1, null);
            resumed = t.state();
        }
        assertArrayEquals(whole.params(), resumed.params());
        assertArrayEquals(whole.m(), resumed.m());
        assertArrayEquals(whole.v(), resumed.v());
        assertEquals(whole.step(), resumed.step());
        assertEquals(2, resumed.epochsDone());
    }

    static Dataset toy(int n, int steps, int features, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n * steps * features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(3);
            for (int j = 0; j < steps * features; j++) x[i * steps * features + j] = (float) (rnd.nextDouble() * 0.3 + (j % 3 == y[i] ? 0.7 : 0));
        }
        return new Dataset("toy", x, y, steps, features, 3);
    }

    // ---- corrupt files ---------------------------------------------------------------------------

    private Path write(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    /** A safetensors file from a literal header and data section. */
    static byte[] raw(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    private CheckpointFormatException fails(Path f, Problem expected, String... fragments) {
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.load(f));
        assertEquals(expected, e.problem(), e.getMessage());
        assertEquals(f, e.file());
        assertTrue(e.getMessage().contains(f.toString()), "names the file: " + e.getMessage());
        for (String s : fragments) assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
        return e;
    }

    @Test
    void rejectsFilesThatAreNotSafetensors() throws IOException {
        fails(write("tiny", new byte[] {1, 2, 3}), Problem.HEADER_LENGTH, "only 3 bytes");
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
        fails(write("image.png", png), Problem.HEADER_LENGTH, "does not fit", "8 bytes after");
        fails(write("text", raw("hello world", new byte[0])), Problem.MALFORMED_HEADER, "not a safetensors JSON");
        fails(write("array", raw("[1, 2]", new byte[0])), Problem.MALFORMED_HEADER, "expected a JSON object");
        fails(write("trailing", raw("{} {}", new byte[0])), Problem.MALFORMED_HEADER);
    }

    @Test
    void headerLengthBeyondFileSize() throws IOException {
        byte[] good = Files.readAllBytes(saved());
        ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).putLong(0, good.length);
        fails(write("long", good), Problem.HEADER_LENGTH, "header length " + good.length, "truncated");
    }

    @Test
    void truncatedData() throws IOException {
        byte[] good = Files.readAllBytes(saved());
        Path f = write("cut", java.util.Arrays.copyOf(good, good.length - 6));
        fails(f, Problem.TRUNCATED, "truncated", "adam.v", "6 missing");
        // Cut inside the header: the stated header length no longer fits.
        fails(write("cut2", java.util.Arrays.copyOf(good, 40)), Problem.HEADER_LENGTH);
    }

    @Test
    void badEntriesAndOffsets() throws IOException {
        byte[] four = new byte[8];
        fails(write("dtype", raw("{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", four)),
                Problem.UNSUPPORTED_DTYPE, "expected dtype F32, found F16");
        fails(write("span", raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", four)),
                Problem.MALFORMED_HEADER, "needs 12 bytes", "span 8");
        fails(write("gap", raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", four)),
                Problem.MALFORMED_HEADER, "starts at byte 4", "expected 0");
        fails(write("overlap", raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", four)), Problem.MALFORMED_HEADER, "tensor b");
        fails(write("extra", raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", four)),
                Problem.MALFORMED_HEADER, "use only 4");
        fails(write("noshape", raw("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4])),
                Problem.MALFORMED_HEADER, "missing 'shape'");
        fails(write("negative", raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4])),
                Problem.MALFORMED_HEADER, "non-negative");
        fails(write("md", raw("{\"__metadata__\":{\"format\":1}}", new byte[0])), Problem.MALFORMED_HEADER, "must be a string");
    }

    @Test
    void rejectsOtherFormatsAndVersions() throws IOException {
        Checkpoint c = sample();
        fails(write("none", SafeTensors.encode(Map.of(), c.tensors())), Problem.NOT_A_CHECKPOINT, "found none");
        Map<String, String> md = new LinkedHashMap<>(c.metadata());
        md.put("format", "pt");
        fails(write("pt", SafeTensors.encode(md, c.tensors())), Problem.NOT_A_CHECKPOINT, "jrnn import");
        md = new LinkedHashMap<>(c.metadata());
        md.put("format_version", "2");
        fails(write("v2", SafeTensors.encode(md, c.tensors())), Problem.UNSUPPORTED_VERSION, "expected format_version 1, found \"2\"");
        md = new LinkedHashMap<>(c.metadata());
        md.put("model", "{\"input\":[3,2],\"layers\":[{\"type\":\"conv\"}]}");
        fails(write("model", SafeTensors.encode(md, c.tensors())), Problem.BAD_METADATA, "conv");
        md = new LinkedHashMap<>(c.metadata());
        md.put("training", "{\"epochs_done\": 2}");
        fails(write("training", SafeTensors.encode(md, c.tensors())), Problem.BAD_METADATA, "training state");
    }

    @Test
    void rejectsTensorsThatDoNotMatchTheModel() throws IOException {
        Checkpoint c = sample();
        List<SafeTensors.Tensor> ts = new ArrayList<>(c.tensors());
        ts.set(1, new SafeTensors.Tensor("lstm.R", new int[] {6, 24}, ts.get(1).data()));
        fails(write("shape", SafeTensors.encode(c.metadata(), ts)), Problem.WRONG_SHAPE,
                "tensor lstm.R: expected shape [24, 6], found [6, 24]");
        ts = new ArrayList<>(c.tensors());
        ts.remove(2);
        fails(write("missing", SafeTensors.encode(c.metadata(), ts)), Problem.MISSING_TENSOR, "lstm.b", "[24]");
        ts = new ArrayList<>(c.tensors());
        ts.add(new SafeTensors.Tensor("lstm.extra", new int[] {1}, new float[1]));
        fails(write("more", SafeTensors.encode(c.metadata(), ts)), Problem.UNEXPECTED_TENSOR, "lstm.extra");
        ts = new ArrayList<>(c.tensors());
        ts.removeIf(t -> t.name().equals("adam.m"));
        fails(write("noadam", SafeTensors.encode(c.metadata(), ts)), Problem.MISSING_TENSOR, "adam.m");
    }

    private Path saved() throws IOException {
        Path f = dir.resolve("good.safetensors");
        sample().save(f);
        return f;
    }
}
