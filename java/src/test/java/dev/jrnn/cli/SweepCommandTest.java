package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jrnn.io.Checkpoint;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepCommandTest {
    @TempDir
    static Path shared;
    static Path data;

    @TempDir
    Path dir;

    @BeforeAll
    static void data() throws IOException {
        data = shared.resolve("data");
        IdxFixtures.writeDigitsLike(data, 96, 40);
    }

    /** A sweep on the tiny IDX files; every run stays well under a second. */
    static MainTest.Result sweep(String... extra) {
        List<String> args = new ArrayList<>(List.of("sweep", "--dataset", "mnist", "--data-dir", data.toString(),
                "--batch-size", "32", "--backend", "cpu", "--threads", "2", "--no-progress"));
        args.addAll(List.of(extra));
        return MainTest.run(args.toArray(String[]::new));
    }

    /** {@code sweep --resume DIR} with only the flags a resume accepts. */
    static MainTest.Result resume(Path sweepDir, String... extra) {
        return resumeWith(sweepDir, data, extra);
    }

    static MainTest.Result resumeWith(Path sweepDir, Path data, String... extra) {
        List<String> args = new ArrayList<>(List.of("sweep", "--resume", sweepDir.toString(), "--data-dir", data.toString(),
                "--backend", "cpu", "--threads", "2", "--no-progress"));
        args.addAll(List.of(extra));
        return MainTest.run(args.toArray(String[]::new));
    }

    static float[] weights(Path checkpoint) throws IOException {
        return Checkpoint.load(checkpoint).params();
    }

    @Test
    void sweepWritesTablesPlotsAndCheckpoints() throws IOException {
        Path out = dir.resolve("s");
        MainTest.Result r = sweep("--models", "lstm4,gru4x2", "--epochs", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("== lstm4 (seed 42)") && r.out().contains("== gru4x2 (seed 42)"), r.out());
        assertTrue(r.out().contains("val_accuracy"), r.out());
        for (String f : List.of("sweep.json", "results.md", "metrics.json", "metrics.csv", "accuracy.png", "loss.png",
                "seconds_per_epoch.png", "lstm4/last.safetensors", "gru4x2/last.safetensors")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("| Model | Params | Test loss | Test accuracy | Train accuracy | Gap (train − test) | s/epoch | samples/s |"), md);
        assertTrue(md.contains("| lstm4 | ") && md.contains("| gru4x2 | "), md);
        assertTrue(md.contains("Best test accuracy"), md);
        JsonObject m = JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
        JsonArray runs = m.getAsJsonArray("runs");
        assertEquals(2, runs.size());
        JsonObject run = runs.get(1).getAsJsonObject();
        assertEquals("gru4x2", run.get("model").getAsString());
        assertEquals(2, run.getAsJsonArray("epochs").size());
        JsonObject e2 = run.getAsJsonArray("epochs").get(1).getAsJsonObject();
        for (String k : List.of("loss", "accuracy", "val_loss", "val_accuracy", "seconds", "samples_per_second")) {
            assertTrue(e2.get(k).isJsonPrimitive(), k);
        }
        // Without a validation split the per-epoch held-out metrics are the test set's, so the last equals the test result.
        assertEquals(run.getAsJsonObject("test").get("accuracy").getAsDouble(), e2.get("val_accuracy").getAsDouble(), 1e-12);
        assertEquals("test set", m.get("val_metrics_on").getAsString());
        assertEquals(2, m.getAsJsonArray("summary").size());
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(5, csv.size(), csv.toString());
        assertTrue(csv.get(0).startsWith("model,cell,units,layers,seed,epoch,loss,accuracy,val_loss,val_accuracy"));
        assertTrue(csv.get(4).startsWith("gru4x2,gru,4,2,42,2,"), csv.get(4));
        for (String png : List.of("accuracy.png", "loss.png", "seconds_per_epoch.png")) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(img, png);
            assertEquals(900, img.getWidth(), png);
        }
        Checkpoint c = Checkpoint.load(out.resolve("gru4x2/last.safetensors"));
        assertEquals(2, c.training().epochsDone());
        assertTrue(c.training().finished());
        assertNotNull(c.training().test());
        assertEquals(2, c.training().history().size());
        try (var s = Files.list(out.resolve("gru4x2"))) {
            assertEquals(1, s.count(), "only last.safetensors, no temporary files");
        }
        // A second sweep into the same directory is refused: it would mix runs.
        MainTest.Result again = sweep("--models", "gru4", "--epochs", "1", "--out", out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--resume"), again.err());
    }

    @Test
    void repeatsUseSeedFoldersAndValidationSplit() throws IOException {
        Path out = dir.resolve("r");
        MainTest.Result r = sweep("--models", "gru4", "--epochs", "1", "--repeats", "2", "--seed", "5",
                "--validation-split", "0.25", "--out", out.toString(), "--no-plots");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("72 train / 24 validation"), r.out());
        Path a = out.resolve("gru4/seed-5/last.safetensors"), b = out.resolve("gru4/seed-6/last.safetensors");
        assertTrue(Files.isRegularFile(a) && Files.isRegularFile(b));
        assertFalse(java.util.Arrays.equals(weights(a), weights(b)), "two seeds, two runs");
        assertEquals(0.25, Checkpoint.load(a).training().data().validationSplit());
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains(" ± "), md);
        assertTrue(md.contains("2 runs per model"), md);
        assertTrue(md.contains("validation split (last 25% of the training samples)"), md);
        assertFalse(Files.exists(out.resolve("accuracy.png")), "--no-plots");
    }

    @Test
    void resumedSweepEndsWithTheSameWeightsAsAnUninterruptedOne() throws IOException {
        Path whole = dir.resolve("whole"), part = dir.resolve("part");
        assertEquals(0, sweep("--models", "lstm4,gru4", "--epochs", "3", "--out", whole.toString(), "--no-plots").code());
        assertEquals(0, sweep("--models", "lstm4,gru4", "--epochs", "1", "--out", part.toString(), "--no-plots").code());
        // Simulate a sweep stopped during its first model: drop gru4's checkpoint.
        Files.delete(part.resolve("gru4/last.safetensors"));
        MainTest.Result r = resume(part, "--epochs", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resuming after epoch 1 of 3"), r.out());
        for (String m : List.of("lstm4", "gru4")) {
            Path f = Path.of(m, "last.safetensors");
            assertArrayEquals(weights(whole.resolve(f)), weights(part.resolve(f)), m);
            Checkpoint a = Checkpoint.load(whole.resolve(f)), b = Checkpoint.load(part.resolve(f));
            assertArrayEquals(a.training().m(), b.training().m(), m);
            assertEquals(a.training().step(), b.training().step());
            assertEquals(a.training().test().accuracy(), b.training().test().accuracy());
        }
        // Nothing left to do: a second resume only rewrites the reports.
        MainTest.Result again = resume(part);
        assertEquals(0, again.code(), again.err());
        assertFalse(again.out().contains("Epoch "), again.out());
        // Settings are the saved sweep's; changing one is an error, not silently ignored.
        MainTest.Result bad = resume(part, "--models", "gru8");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--models cannot be combined with --resume"), bad.err());
    }

    @Test
    void aSweepSavedWithAnotherLogIntervalStillResumes() throws IOException {
        // Checkpoints written before the CLI read the loss every 10 batches hold log_interval 1.
        Path part = dir.resolve("old-interval");
        assertEquals(0, sweep("--models", "gru4", "--epochs", "1", "--out", part.toString(), "--no-plots").code());
        Path f = part.resolve("gru4/last.safetensors");
        Checkpoint c = Checkpoint.load(f);
        Checkpoint.Training t = c.training();
        assertEquals(10, t.config().logInterval());
        new Checkpoint(c.model(), c.params(), new Checkpoint.Training(t.config().withLogInterval(1), t.m(), t.v(), t.step(),
                t.epochsDone(), t.epochs(), t.data(), t.backend(), t.history(), t.test())).save(f);
        MainTest.Result r = resume(part, "--epochs", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resuming after epoch 1 of 2"), r.out());
    }

    @Test
    void badModelNamesAreUsageErrors() {
        MainTest.Result r = sweep("--models", "lstm32,rnn8", "--out", dir.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'rnn8' is not <cell><units>[x<layers>]"), r.err());
    }
}
