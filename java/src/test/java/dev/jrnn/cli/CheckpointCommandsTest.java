package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jrnn.data.IdxReader;
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

/** {@code train --checkpoint/--resume}, {@code evaluate}, {@code predict}, {@code export}, {@code import}. */
class CheckpointCommandsTest {
    @TempDir
    static Path shared;
    static Path data;
    static Path trained;   // 2 epochs of gru6 with a checkpoint

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        data = shared.resolve("data");
        IdxFixtures.writeDigitsLike(data, 64, 24);
        trained = shared.resolve("gru.safetensors");
        MainTest.Result r = train("--epochs", "2", "--checkpoint", trained.toString());
        assertEquals(0, r.code(), r.err());
    }

    static MainTest.Result train(String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--cell", "gru", "--units", "6", "--batch-size", "16",
                "--dataset", "mnist", "--data-dir", data.toString(), "--backend", "cpu", "--threads", "2", "--no-progress"));
        args.addAll(List.of(extra));
        return MainTest.run(args.toArray(String[]::new));
    }

    @Test
    void trainResumeEqualsUninterruptedTraining() throws IOException {
        Path half = dir.resolve("half.safetensors");
        assertEquals(0, train("--epochs", "1", "--checkpoint", half.toString()).code());
        assertEquals(1, Checkpoint.load(half).training().epochsDone());
        MainTest.Result r = MainTest.run("train", "--resume", half.toString(), "--epochs", "2", "--data-dir", data.toString(),
                "--backend", "cpu", "--threads", "2", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Resuming gru6 from " + half + ": 1 of 2 epochs done"), r.out());
        assertTrue(r.out().contains("Epoch 2/2") && !r.out().contains("Epoch 1/2"), r.out());
        Checkpoint a = Checkpoint.load(trained), b = Checkpoint.load(half);
        assertArrayEquals(a.params(), b.params());
        assertArrayEquals(a.training().v(), b.training().v());
        assertEquals(a.training().test().loss(), b.training().test().loss());
        assertEquals(a.training().test().accuracy(), b.training().test().accuracy());
        assertEquals(2, b.training().history().size());

        MainTest.Result bad = MainTest.run("train", "--resume", half.toString(), "--seed", "1");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--seed cannot be combined with --resume"), bad.err());
    }

    @Test
    void evaluateReproducesTheTestResult() throws IOException {
        MainTest.Result r = MainTest.run("evaluate", "--checkpoint", trained.toString(), "--data-dir", data.toString(),
                "--backend", "cpu", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        double acc = Checkpoint.load(trained).training().test().accuracy();
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "accuracy: %.4f", acc)), r.out() + " vs " + acc);
        assertTrue(r.out().contains("mnist/test"), r.out());
    }

    @Test
    void corruptCheckpointIsAOneLineError() throws IOException {
        Path bad = dir.resolve("bad.safetensors");
        byte[] good = Files.readAllBytes(trained);
        Files.write(bad, java.util.Arrays.copyOf(good, good.length - 10));
        MainTest.Result r = MainTest.run("evaluate", "--checkpoint", bad.toString(), "--data-dir", data.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(bad.toString()) && r.err().contains("truncated"), r.err());
        assertTrue(!r.err().contains("\tat "), r.err());
    }

    private static JsonObject predictJson(String... args) {
        List<String> a = new ArrayList<>(List.of("predict", "--checkpoint", trained.toString(), "--json", "--backend", "cpu", "--threads", "1"));
        a.addAll(List.of(args));
        MainTest.Result r = MainTest.run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return JsonParser.parseString(r.out()).getAsJsonObject();
    }

    @Test
    void predictReadsIdxAndPngAlike() throws IOException {
        Path images = data.resolve("t10k-images-idx3-ubyte.gz");
        JsonObject idx = predictJson("--image", images.toString(), "--index", "3", "--top", "2");
        JsonArray p = idx.getAsJsonArray("probabilities");
        assertEquals(10, p.size());
        double sum = 0;
        for (var e : p) sum += e.getAsDouble();
        assertEquals(1, sum, 1e-5);
        JsonArray top = idx.getAsJsonArray("top");
        assertEquals(2, top.size());
        assertTrue(top.get(0).getAsJsonObject().get("probability").getAsDouble() >= top.get(1).getAsJsonObject().get("probability").getAsDouble());

        IdxReader.Images img = IdxReader.readImages(images);
        BufferedImage png = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) png.getRaster().setSample(x, y, 0, img.pixels()[3 * 784 + y * 28 + x] & 0xff);
        }
        Path file = dir.resolve("digit.png");
        ImageIO.write(png, "png", file.toFile());
        JsonObject fromPng = predictJson("--image", file.toString(), "--top", "2");
        assertEquals(p, fromPng.getAsJsonArray("probabilities"));

        MainTest.Result text = MainTest.run("predict", "--checkpoint", trained.toString(), "--image", images.toString(),
                "--index", "3", "--top", "3", "--backend", "cpu");
        assertEquals(0, text.code(), text.err());
        assertEquals(4, text.out().strip().lines().count(), text.out());
        MainTest.Result out = MainTest.run("predict", "--checkpoint", trained.toString(), "--image", images.toString(), "--index", "24");
        assertEquals(2, out.code());
        assertTrue(out.err().contains("--index must be in [0, 24)"), out.err());
        BufferedImage small = new BufferedImage(20, 28, BufferedImage.TYPE_BYTE_GRAY);
        ImageIO.write(small, "png", dir.resolve("small.png").toFile());
        MainTest.Result wrong = MainTest.run("predict", "--checkpoint", trained.toString(), "--image", dir.resolve("small.png").toString());
        assertTrue(wrong.err().contains("expected a 28x28 image") && wrong.err().contains("found 20x28"), wrong.err());
    }

    @Test
    void exportThenImportGivesTheSameWeights() throws IOException {
        Path pt = dir.resolve("gru.pt.safetensors"), back = dir.resolve("back.safetensors");
        MainTest.Result e = MainTest.run("export", "--checkpoint", trained.toString(), "--format", "pytorch", "--out", pt.toString());
        assertEquals(0, e.code(), e.err());
        MainTest.Result i = MainTest.run("import", "--weights", pt.toString(), "--out", back.toString());
        assertEquals(0, i.code(), i.err());
        assertArrayEquals(Checkpoint.load(trained).params(), Checkpoint.load(back).params());
        MainTest.Result wrong = MainTest.run("evaluate", "--checkpoint", pt.toString(), "--data-dir", data.toString());
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("jrnn import"), wrong.err());
        MainTest.Result noData = MainTest.run("evaluate", "--checkpoint", back.toString(), "--data-dir", data.toString(),
                "--dataset", "mnist", "--backend", "cpu");
        assertEquals(0, noData.code(), noData.err());
    }
}
