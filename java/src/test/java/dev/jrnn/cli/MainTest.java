package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void summaryPrintsKerasCounts() {
        Result r = run("summary", "--cell", "gru", "--units", "64");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Total params: 22,858"), r.out());
        assertTrue(run("summary", "--cell", "lstm", "--units", "32", "--layers", "4").out().contains("Total params: 35,530"));
    }

    @Test
    void modelFlagsMakeBidirectionalAndMaskedModels() {
        // Keras: Bidirectional(LSTM(32)) on 28 features 15,616; Dense(64) on 64 (concat) 4,160 or on 32 (sum) 2,112; Dense(10) 650
        Result concat = run("summary", "--cell", "lstm", "--units", "32", "--bidirectional");
        assertEquals(0, concat.code(), concat.err());
        assertTrue(concat.out().contains("Total params: 20,426"), concat.out());
        assertTrue(concat.out().contains("Bidirectional"), concat.out());
        Result sum = run("summary", "--cell", "lstm", "--units", "32", "--bidirectional", "--merge", "sum", "--layers", "2");
        assertEquals(0, sum.code(), sum.err());
        // second layer: Bidirectional(LSTM(32)) on 32 features: 2 * 4 * (32 * 64 + 32) = 16,640
        assertTrue(sum.out().contains("Total params: " + String.format(java.util.Locale.ROOT, "%,d", 15_616 + 16_640 + 2_112 + 650)), sum.out());
        Result masked = run("summary", "--cell", "gru", "--units", "64", "--mask", "0");
        assertEquals(0, masked.code(), masked.err());
        assertTrue(masked.out().contains("Masking") && masked.out().contains("Total params: 22,858"), masked.out());

        Result mergeAlone = run("summary", "--cell", "gru", "--merge", "sum");
        assertEquals(2, mergeAlone.code());
        assertTrue(mergeAlone.err().contains("--merge sum needs --bidirectional"), mergeAlone.err());
        Result badMerge = run("summary", "--cell", "gru", "--bidirectional", "--merge", "avg");
        assertEquals(2, badMerge.code());
        assertTrue(badMerge.err().contains("unknown merge mode 'avg': expected concat or sum"), badMerge.err());
        Result nanMask = run("summary", "--cell", "gru", "--mask", "NaN");
        assertEquals(2, nanMask.code());
        assertTrue(nanMask.err().contains("--mask must be a finite number"), nanMask.err());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> dev.jrnn.experiment.ModelEdits.bidirectional(
                dev.jrnn.nn.Sequential.builder().input(3).add(new dev.jrnn.nn.Dense(2, dev.jrnn.backend.Activation.SOFTMAX)).build(),
                dev.jrnn.nn.Bidirectional.Merge.CONCAT));
        assertTrue(e.getMessage().contains("--bidirectional wraps the model's recurrent layers (LSTM, GRU), but dense has none"), e.getMessage());
    }

    @Test
    void badFlagsExitWithTwoAndOneLine() {
        Result r = run("train", "--cell", "lstm", "--bogus");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--bogus"), r.err());
        assertEquals(2, run("summary", "--cell", "rnn").code());
        assertEquals(2, run("summary").code(), "--cell is required");
        assertEquals(2, run("summary", "--cell", "lstm", "--activation", "sigmoid").code());
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : new String[] {"summary", "train", "bench"}) {
            Result r = run(c, "--help");
            assertEquals(0, r.code(), c);
            assertTrue(r.out().contains("--cell"), c + ": " + r.out());
        }
        assertTrue(run("--help").out().contains("train"));
        for (String c : new String[] {"sweep", "evaluate", "predict", "export", "import", "info"}) {
            Result r = run(c, "--help");
            assertEquals(0, r.code(), c);
            assertTrue(run("--help").out().contains(c), c);
        }
        assertTrue(run("sweep", "--help").out().contains("--resume"));
    }

    @Test
    void trainWithoutCellFailsBeforeLoadingData(@TempDir Path dir) {
        Result r = run("train", "--dataset", "nope", "--data-dir", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--cell"), r.err());
    }

    @Test
    void forcedCudaSaysWhatIsMissing() {
        Result r = run("bench", "--cell", "lstm", "--backend", "cuda", "--steps", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("CUDA") && r.err().contains("--backend cpu"), r.err());
    }

    @Test
    void infoReportsEveryPieceOfTheGpuStack() {
        Result r = run("info");
        assertEquals(0, r.code(), r.err());
        for (String s : new String[] {"jrnn ", "CUDA driver:", "cuBLAS:", "cuDNN:", "kernels:", "backend:"}) {
            assertTrue(r.out().contains(s), "no '" + s + "' in: " + r.out());
        }
        assertTrue(r.out().contains("unavailable") || r.out().contains("cuda works"), r.out());
    }

    @Test
    void benchPrintsThroughput() {
        Result r = run("bench", "--cell", "gru", "--units", "8", "--batch-size", "16", "--steps", "2",
                "--warmup", "1", "--repeats", "1", "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s)gru8 params=\\d+ backend=cpu batch=16 .*samples/s: median \\d+.*"), r.out());
        assertTrue(r.err().contains("backend: "), r.err());
    }

    @Test
    void missingDatasetNamesTheWayOut(@TempDir Path dir) throws IOException {
        Path empty = Files.createDirectories(dir.resolve("nothing-here"));
        Result r = run("train", "--cell", "lstm", "--dataset", "nope", "--data-dir", empty.toString());
        assertTrue(r.code() != 0);
        assertTrue(r.err().contains("nope"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void trainsOnIdxFilesAndWritesMetrics(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("data");
        IdxFixtures.writeDigitsLike(data, 64, 32);
        Path metrics = dir.resolve("m/metrics.json");
        Result r = run("train", "--cell", "gru", "--units", "8", "--epochs", "2", "--batch-size", "16",
                "--dataset", "mnist", "--data-dir", data.toString(), "--backend", "cpu", "--no-progress",
                "--metrics-out", metrics.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Epoch 2/2"), r.out());
        assertTrue(r.out().contains("Test loss:"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(metrics)).getAsJsonObject();
        assertEquals("gru8", o.get("model").getAsString());
        assertEquals("cpu", o.get("backend").getAsString());
        assertEquals(2, o.getAsJsonArray("epochs").size());
        JsonObject e1 = o.getAsJsonArray("epochs").get(0).getAsJsonObject();
        for (String k : new String[] {"epoch", "loss", "accuracy", "seconds", "samples_per_second"}) {
            assertTrue(e1.has(k), k);
        }
        double acc = o.getAsJsonObject("test").get("accuracy").getAsDouble();
        // 32 test samples: the accuracy is a count over 32, and the line printed says the same
        assertEquals(Math.rint(acc * 32), acc * 32, 1e-9, "accuracy " + acc + " is not k/32");
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "test accuracy: %.4f (32 samples", acc)), r.out());
        assertTrue(o.get("params").getAsInt() > 0);
    }
}
