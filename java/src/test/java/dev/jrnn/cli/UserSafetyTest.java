package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.io.Checkpoint;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Sequential;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's commands, each pinned: nothing a user owns is overwritten or lost, outputs are checked
 * before training, I/O errors say expected / found / what to do in a line or two, divergence and
 * insane settings stop with a message, a relu model is not exported to PyTorch silently, and the
 * CLI's own output stays short.
 */
class UserSafetyTest {
    @TempDir
    static Path shared;
    static Path data;
    static Path trained;   // 1 epoch of gru6, 28x28 inputs

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        data = shared.resolve("data");
        IdxFixtures.writeDigitsLike(data, 64, 24);
        trained = shared.resolve("gru.safetensors");
        MainTest.Result r = train("--epochs", "1", "--checkpoint", trained.toString());
        assertEquals(0, r.code(), r.err());
    }

    static MainTest.Result train(String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--cell", "gru", "--units", "6", "--batch-size", "16",
                "--dataset", "mnist", "--data-dir", data.toString(), "--backend", "cpu", "--threads", "1", "--no-progress"));
        args.addAll(List.of(extra));
        return MainTest.run(args.toArray(String[]::new));
    }

    /** At most {@code lines} lines, each short enough for a terminal, and no stack trace. */
    static void assertShort(String text, int lines) {
        List<String> ls = text.strip().lines().toList();
        assertTrue(ls.size() <= lines, "expected at most " + lines + " lines, found " + ls.size() + ": " + text);
        for (String l : ls) assertTrue(l.length() <= 240, "line of " + l.length() + " characters: " + l);
        assertFalse(text.contains("\tat ") || text.contains("Exception:"), "no stack trace or exception name: " + text);
    }

    // ---- 1. existing files are not overwritten -------------------------------------------------

    @Test
    void checkpointOfAnotherRunIsNotOverwritten() throws IOException {
        Path other = dir.resolve("other.safetensors");
        Files.copy(trained, other);
        byte[] before = Files.readAllBytes(other);
        MainTest.Result r = train("--epochs", "1", "--checkpoint", other.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("already holds a jrnn run: continue it with --resume " + other), r.err());
        assertTrue(r.err().contains("--overwrite"), r.err());
        assertFalse(r.out().contains("Epoch"), "refused before training: " + r.out());
        assertShort(r.err(), 2);
        assertArrayEquals(before, Files.readAllBytes(other));

        assertEquals(0, train("--epochs", "1", "--checkpoint", other.toString(), "--overwrite").code());
    }

    @Test
    void anyOtherFileIsNotOverwrittenEither() throws IOException {
        Path notes = Files.writeString(dir.resolve("notes.txt"), "my notes\n");
        MainTest.Result r = train("--epochs", "1", "--checkpoint", notes.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(notes + " already exists: choose another --checkpoint (--overwrite replaces it)"), r.err());
        MainTest.Result m = train("--epochs", "1", "--metrics-out", notes.toString());
        assertEquals(2, m.code(), m.err());
        assertTrue(m.err().contains("choose another --metrics-out"), m.err());
        assertEquals("my notes\n", Files.readString(notes));
    }

    @Test
    void resumeRewritesItsOwnCheckpointAndMetrics() throws IOException {
        Path ck = dir.resolve("run.safetensors"), metrics = dir.resolve("run.json");
        assertEquals(0, train("--epochs", "1", "--checkpoint", ck.toString(), "--metrics-out", metrics.toString()).code());
        MainTest.Result r = MainTest.run("train", "--resume", ck.toString(), "--epochs", "2", "--metrics-out", metrics.toString(),
                "--data-dir", data.toString(), "--backend", "cpu", "--threads", "1", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertEquals(2, JsonParser.parseString(Files.readString(metrics)).getAsJsonObject().getAsJsonArray("epochs").size());
        // another run's metrics stay protected on resume
        Path foreign = Files.writeString(dir.resolve("foreign.json"), "{\"model\": \"lstm32\", \"dataset\": \"mnist\", \"seed\": 42}");
        MainTest.Result f = MainTest.run("train", "--resume", ck.toString(), "--epochs", "3", "--metrics-out", foreign.toString(),
                "--data-dir", data.toString(), "--backend", "cpu", "--no-progress");
        assertEquals(2, f.code(), f.err());
        assertTrue(f.err().contains("--overwrite"), f.err());
    }

    // ---- 2. outputs are checked before the first batch; a late failure keeps the weights -------

    @Test
    void unwritableOutputsFailBeforeTraining() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        for (String option : new String[] {"--checkpoint", "--metrics-out"}) {
            MainTest.Result r = train("--epochs", "1", option, file.resolve("sub/out.bin").toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("cannot write " + option), r.err());
            assertFalse(r.out().contains("Epoch"), option + " checked before training: " + r.out());
            assertShort(r.err(), 2);
        }
        MainTest.Result d = train("--epochs", "1", "--checkpoint", dir.toString());
        assertEquals(1, d.code());
        assertTrue(d.err().contains("is a directory: expected a file name"), d.err());
    }

    @Test
    void sweepOutMustBeAWritableDirectory() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        List<String> base = List.of("sweep", "--models", "gru4", "--epochs", "1", "--dataset", "mnist", "--data-dir",
                data.toString(), "--backend", "cpu", "--no-progress", "--no-plots", "--out");
        MainTest.Result r = MainTest.run(concat(base, file.toString()));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--out " + file + " is a file: expected a directory"), r.err());
        MainTest.Result under = MainTest.run(concat(base, file.resolve("sweep").toString()));
        assertEquals(1, under.code());
        assertTrue(under.err().contains("cannot write --out"), under.err());
        assertFalse(under.out().contains("Epoch"), under.out());
    }

    private static String[] concat(List<String> a, String... b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    // ---- 3. I/O errors say expected / found / what to do --------------------------------------

    @Test
    void missingOrWrongFilesAreExplained() throws IOException {
        MainTest.Result missing = MainTest.run("evaluate", "--checkpoint", dir.resolve("missing.safetensors").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("missing.safetensors: no such file; expected a safetensors file"), missing.err());
        MainTest.Result directory = MainTest.run("evaluate", "--checkpoint", dir.toString());
        assertTrue(directory.err().contains(dir + ": is a directory; expected a safetensors file"), directory.err());
        MainTest.Result png = MainTest.run("predict", "--checkpoint", trained.toString(), "--image", dir.resolve("missing.png").toString());
        assertEquals(1, png.code());
        assertTrue(png.err().contains("missing.png: no such file; expected a PNG"), png.err());
        for (MainTest.Result r : List.of(missing, directory, png)) assertShort(r.err(), 2);
    }

    @Test
    void truncatedPngIsExplained() throws IOException {
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 28 * 28; i++) img.getRaster().setSample(i % 28, i / 28, 0, (i * 37) & 0xff);
        Path full = dir.resolve("full.png");
        ImageIO.write(img, "png", full.toFile());
        byte[] b = Files.readAllBytes(full);
        Path cut = Files.write(dir.resolve("cut.png"), Arrays.copyOf(b, b.length - 30));
        MainTest.Result r = MainTest.run("predict", "--checkpoint", trained.toString(), "--image", cut.toString(), "--backend", "cpu");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(cut + ": a damaged or truncated PNG") && r.err().contains("export the image again"), r.err());
        assertShort(r.err(), 2);
    }

    @Test
    void safetensorsHeaderLengthOffByAFewBytesIsNamed() throws IOException {
        byte[] b = Files.readAllBytes(trained);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        // NB: writers pad the header with spaces to a multiple of 8: where the JSON itself ends
        long end = new String(b, 8, (int) n, StandardCharsets.ISO_8859_1).lastIndexOf('}') + 1;
        for (long length : new long[] {end - 3, n + 17}) {
            byte[] bad = b.clone();
            ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
            Path f = Files.write(dir.resolve("off" + length + ".safetensors"), bad);
            MainTest.Result r = MainTest.run("evaluate", "--checkpoint", f.toString());
            assertEquals(1, r.code());
            assertTrue(r.err().contains("the header length field says " + length + " bytes, but the JSON header is " + end
                    + " bytes long: the file is damaged"), r.err());
            String lower = r.err().toLowerCase(java.util.Locale.ROOT);
            assertFalse(lower.contains("http") || lower.contains("gson") || lower.contains("lenient")
                    || lower.contains("jsonreader"), "no JSON library internals: " + r.err());
            assertShort(r.err(), 2);
        }
        // a length that only cuts the padding: the data section is then too long, by as much
        if (n - end >= 2) {
            byte[] bad = b.clone();
            ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n - 2);
            MainTest.Result r = MainTest.run("evaluate", "--checkpoint", Files.write(dir.resolve("pad.safetensors"), bad).toString());
            assertTrue(r.err().contains("2 too many (the header length field is off by as much"), r.err());
        }
        // a header that is broken inside (not its length) gets the JSON problem, cleaned
        String text = new String(b, 8, (int) n, StandardCharsets.ISO_8859_1).replaceFirst(":", ";");
        byte[] broken = b.clone();
        System.arraycopy(text.getBytes(StandardCharsets.ISO_8859_1), 0, broken, 8, (int) n);
        Path f = Files.write(dir.resolve("broken.safetensors"), broken);
        MainTest.Result r = MainTest.run("evaluate", "--checkpoint", f.toString());
        assertTrue(r.err().contains("the header is not a safetensors JSON object"), r.err());
        assertFalse(r.err().contains("http") || r.err().contains("setStrictness"), r.err());
    }

    // ---- 4. predict --json never prints a bare NaN ---------------------------------------------

    @Test
    void oneNaNRecurrentWeightGivesNaNOnEveryBackendAndNullInJson() throws IOException {
        // 32 units: wider than a vector, so the Vector API lanes (not only the scalar tails) see the NaN
        dev.jrnn.nn.Sequential m = dev.jrnn.nn.Sequential.notebook(dev.jrnn.backend.RnnSpec.Cell.GRU, 32, 1,
                dev.jrnn.backend.Activation.TANH, 0.2, 28, 28, 10);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        float[] p = new float[m.paramCount()];
        for (int i = 0; i < p.length; i++) p[i] = (float) (rnd.nextGaussian() * 0.2);
        // one NaN recurrent weight (R of the GRU, after W (G*H, F)): the Vector API's clamp once turned it into 88.3
        p[((dev.jrnn.nn.Recurrent) m.layers().get(0)).spec(28).offsetR() + 5] = Float.NaN;
        Path nan = dir.resolve("nan.safetensors");
        new Checkpoint(m, p, null).save(nan);
        Path images = data.resolve("t10k-images-idx3-ubyte.gz");
        for (String backend : new String[] {"cpu", "reference"}) {
            MainTest.Result r = MainTest.run("predict", "--checkpoint", nan.toString(), "--image", images.toString(), "--json",
                    "--backend", backend);
            assertEquals(0, r.code(), r.err());
            assertFalse(r.out().contains("NaN"), r.out());
            JsonReader reader = new JsonReader(new StringReader(r.out()));
            reader.setStrictness(Strictness.STRICT);
            JsonObject o = JsonParser.parseReader(reader).getAsJsonObject();
            for (JsonElement e : o.getAsJsonArray("probabilities")) assertTrue(e.isJsonNull(), backend + ": " + r.out());
            assertTrue(r.err().contains("not finite"), r.err());
            // and evaluate says NaN on the CPU as on the reference, not a plausible accuracy alone
            MainTest.Result ev = MainTest.run("evaluate", "--checkpoint", nan.toString(), "--dataset", "mnist", "--data-dir",
                    data.toString(), "--backend", backend);
            assertEquals(0, ev.code(), ev.err());
            assertTrue(ev.out().contains("loss: NaN"), backend + ": " + ev.out());
            assertTrue(ev.err().contains("the loss is not finite"), ev.err());
        }
    }

    // ---- 5. heap exhaustion is refused up front, in one line ----------------------------------

    @Test
    void modelTooLargeForTheHeapIsRefusedInOneLine() {
        MainTest.Result r = MainTest.run("train", "--cell", "lstm", "--units", "20000", "--dataset", "mnist", "--data-dir",
                data.toString(), "--backend", "cpu", "--no-progress");
        assertEquals(2, r.code(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.matches("jrnn: lstm20000 needs about [0-9.]+ GiB of Java heap .* heap \\(-Xmx\\) is free: use fewer --units, or e.g. JRNN_JAVA_OPTS=-Xmx\\d+g"), last);
        assertShort(r.err(), 2);   // the backend line and this one

        MainTest.Result huge = MainTest.run("summary", "--cell", "lstm", "--units", "100000");
        assertEquals(2, huge.code());
        assertTrue(huge.err().contains("40,011,600,000 parameters"), "no silent int overflow: " + huge.err());
    }

    @Test
    void anOutOfMemoryErrorBecomesOneLine() {
        String m = Main.describe(new RuntimeException("worker failed", new OutOfMemoryError("Java heap space")));
        assertTrue(m.startsWith("out of Java heap (Java heap space; the heap (-Xmx) is "), m);
        assertTrue(m.contains("JRNN_JAVA_OPTS=-Xmx"), m);
        assertShort(m, 1);
    }

    // ---- 6. divergence and insane settings -----------------------------------------------------

    @Test
    void explodingLossStopsWithExitOne() {
        Path ck = dir.resolve("boom.safetensors");
        MainTest.Result r = train("--epochs", "3", "--lr", "1e6", "--checkpoint", ck.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("training diverged"), r.err());
        assertTrue(r.err().contains("try a lower --lr"), r.err());
        assertShort(r.err(), 3);
    }

    @Test
    void learningRatesBeyondFloatAreRejectedLikeInf() {
        for (String lr : new String[] {"1e39", "inf", "Infinity", "NaN", "0", "-1", "1e-50"}) {
            MainTest.Result r = train("--lr", lr);
            assertEquals(2, r.code(), lr + ": " + r.err());
            assertTrue(r.err().contains("--lr") && r.err().contains("positive"), r.err());
        }
    }

    @Test
    void threadsBeyondTheProcessorsAreCapped() {
        int cpus = Runtime.getRuntime().availableProcessors();
        assertEquals(cpus, BackendOptions.effectiveThreads(1000));
        assertEquals(cpus, BackendOptions.effectiveThreads(0));
        assertEquals(1, BackendOptions.effectiveThreads(1));
        MainTest.Result r = MainTest.run("bench", "--cell", "gru", "--units", "4", "--batch-size", "8", "--steps", "1",
                "--warmup", "0", "--repeats", "1", "--backend", "cpu", "--threads", "1000");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("--threads 1000 is more than the " + cpus + " available processors; using " + cpus), r.err());
    }

    // ---- 7. relu models are not exported to PyTorch silently -----------------------------------

    @Test
    void reluModelsNeedAllowReluToExport() throws IOException {
        Path relu = dir.resolve("relu.safetensors");
        assertEquals(0, train("--epochs", "1", "--activation", "relu", "--checkpoint", relu.toString()).code());
        Path out = dir.resolve("relu-torch.safetensors");
        MainTest.Result r = MainTest.run("export", "--checkpoint", relu.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("relu cells") && r.err().contains("tanh only") && r.err().contains("--allow-relu"), r.err());
        assertFalse(Files.exists(out));
        assertShort(r.err(), 2);
        assertEquals(0, MainTest.run("export", "--checkpoint", relu.toString(), "--out", out.toString(), "--allow-relu").code());
        assertTrue(Files.exists(out));
        // a relu cell inside Bidirectional is refused the same way
        Path bi = dir.resolve("birelu.safetensors");
        assertEquals(0, train("--epochs", "1", "--activation", "relu", "--bidirectional", "--checkpoint", bi.toString()).code());
        Path biOut = dir.resolve("birelu-torch.safetensors");
        r = MainTest.run("export", "--checkpoint", bi.toString(), "--out", biOut.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("relu cells"), r.err());
        assertFalse(Files.exists(biOut));
    }

    @Test
    void theMemoryEstimateCountsBothDirectionsOfABidirectionalLayer() {
        Sequential uni = Sequential.notebook(RnnSpec.Cell.LSTM, 64, 1, Activation.TANH, 0.2f, 28, 28, 10);
        Sequential bi = Sequential.notebook(RnnSpec.Cell.LSTM, 64, 1, Activation.TANH, 0.2f, 28, 28, 10,
                Bidirectional.Merge.CONCAT);
        long rnnActs = 1024L * 28 * (3 * 4 * 64 + 4 * 64) * 4;   // one direction's reserve and outputs, batch 1024
        long diff = MemoryCheck.estimate(bi, "cpu", 2, 256).activations() - MemoryCheck.estimate(uni, "cpu", 2, 256).activations();
        assertTrue(diff >= rnnActs, "a second direction adds at least its own activations: " + diff + " < " + rnnActs);
    }

    // ---- 8. noise ------------------------------------------------------------------------------

    @Test
    void autoBackendLineIsShortAndVerboseHasTheReason() {
        String full = "backend: cpu (Vector API, 512-bit vectors of 16 floats, 2 threads) (auto: CUDA unavailable: driver:"
                + " no NVIDIA driver (libcuda.so.1: cannot open shared object file: No such file or directory); cuBLAS not found"
                + " (libcublas.so.13, libcublas.so.12; 'jrnn info' lists the 10 places looked))";
        assertEquals("backend: cpu (Vector API, 512-bit vectors of 16 floats, 2 threads) (auto: CUDA unavailable: driver: no"
                + " NVIDIA driver; cuBLAS not found)", BackendOptions.shortLine(full));
        String cuda = "backend: cuda (H200) (auto: driver, cuDNN, cuBLAS and kernels loaded)";
        assertEquals(cuda, BackendOptions.shortLine(cuda));
        MainTest.Result r = MainTest.run("bench", "--cell", "gru", "--units", "4", "--batch-size", "8", "--steps", "1",
                "--warmup", "0", "--repeats", "1");
        assertEquals(0, r.code(), r.err());
        assertShort(r.err(), 1);
    }

    @Test
    void forcedCudaErrorIsTwoShortLines() {
        String full = "--backend cuda: CUDA unavailable: driver: no NVIDIA driver (libcuda.so.1: cannot open shared object"
                + " file: No such file or directory); cuBLAS not found (libcublas.so.13, libcublas.so.12; 'jrnn info' lists"
                + " the 10 places looked); cuDNN not found (libcudnn.so.9, libcudnn.so.8; 'jrnn info' lists the 10 places"
                + " looked); use --backend cpu (or auto)";
        String s = BackendOptions.shortCudaError(full);
        assertEquals("--backend cuda: CUDA unavailable: driver: no NVIDIA driver; cuBLAS not found; cuDNN not found\n"
                + "Use --backend cpu (or auto); --verbose says why, 'jrnn info' lists what was found.", s);
        MainTest.Result r = MainTest.run("bench", "--cell", "lstm", "--backend", "cuda", "--steps", "1");
        if (r.code() != 0) assertShort(r.err(), 2);
    }

    @Test
    void noProgressFramesWhenStderrIsNotATerminal() {
        String before = System.getProperty("jrnn.stderr.tty");
        try {
            System.setProperty("jrnn.stderr.tty", "false");
            assertFalse(KerasProgress.stderrIsTerminal());
            System.setProperty("jrnn.stderr.tty", "true");
            assertTrue(KerasProgress.stderrIsTerminal());
        } finally {
            if (before == null) System.clearProperty("jrnn.stderr.tty");
            else System.setProperty("jrnn.stderr.tty", before);
        }
    }
}
