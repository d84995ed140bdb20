package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.cli.MainTest.Result;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --dataset npy --data-dir DIR}: a user's own sequences, trained, checkpointed and evaluated from the CLI. */
class NpyDataTest {
    @TempDir
    Path dir;

    /** A version 1.0 .npy file of {@code descr} and {@code shape}, as np.save writes it. */
    private static void npy(Path file, String descr, String shape, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        StringBuilder h = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }");
        while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] hb = h.toString().getBytes(StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) hb.length).array());
        out.write(hb);
        out.write(data);
        Files.write(file, out.toByteArray());
    }

    /** n sequences of 5 steps of 3 features; the label is the step-sum sign pattern's class 0..2. */
    private static void split(Path d, String name, int n, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        ByteBuffer x = ByteBuffer.allocate(4 * n * 5 * 3).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer y = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int label = r.nextInt(3);
            for (int t = 0; t < 5; t++) for (int f = 0; f < 3; f++) x.putFloat((float) (r.nextGaussian() * 0.3 + (f == label ? 1 : 0)));
            y.putLong(label);
        }
        npy(d.resolve("x_" + name + ".npy"), "<f4", "(" + n + ", 5, 3)", x.array());
        npy(d.resolve("y_" + name + ".npy"), "<i8", "(" + n + ",)", y.array());
    }

    @Test
    void trainsAndEvaluatesAUsersOwnArrays() throws IOException {
        Path data = Files.createDirectories(dir.resolve("mine"));
        split(data, "train", 512, 1);
        split(data, "test", 128, 2);
        Path ck = dir.resolve("gru.safetensors");
        Result r = MainTest.run("train", "--dataset", "npy", "--data-dir", data.toString(), "--cell", "gru", "--units", "8",
                "--epochs", "3", "--backend", "cpu", "--checkpoint", ck.toString(), "--no-progress", "--lr", "0.01");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("512 train / 128 test samples"), r.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("test accuracy: ([0-9.]+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(1)) > 0.6, "an easy 3-class task beats chance (0.33) clearly: " + r.out());
        Result ev = MainTest.run("evaluate", "--checkpoint", ck.toString(), "--data-dir", data.toString(), "--backend", "cpu");
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains("on mine/test"), ev.out());

        Result noDir = MainTest.run("train", "--dataset", "npy", "--cell", "gru", "--units", "8", "--epochs", "1");
        assertEquals(2, noDir.code(), "a usage error");
        assertTrue(noDir.err().contains("--data-dir DIR holding x_train.npy"), noDir.err());
        Files.delete(data.resolve("y_test.npy"));
        Result missing = MainTest.run("train", "--dataset", "npy", "--data-dir", data.toString(), "--cell", "gru", "--units", "8",
                "--epochs", "1", "--backend", "cpu");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("y_test.npy: missing"), missing.err());
    }

    /** (n) int64 lengths 1, 2, 3, 4, 5, 1, 2, ... */
    private static void cyclingLengths(Path file, int n) throws IOException {
        int[] len = new int[n];
        for (int i = 0; i < n; i++) len[i] = 1 + i % 5;
        lengths(file, len);
    }

    /** (N) int64 lengths. */
    private static void lengths(Path file, int... lengths) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 * lengths.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int n : lengths) b.putLong(n);
        npy(file, "<i8", "(" + lengths.length + ",)", b.array());
    }

    @Test
    void dataIsShortForDatasetNpyAndCarriesLengthsAndClasses() throws IOException {
        Path data = Files.createDirectories(dir.resolve("seqs"));
        split(data, "train", 64, 3);
        split(data, "test", 16, 4);
        cyclingLengths(data.resolve("lengths_train.npy"), 64);
        Path ck = dir.resolve("seqs.safetensors");
        Result r = MainTest.run("train", "--data", data.toString(), "--classes", "4", "--cell", "lstm", "--units", "4",
                "--epochs", "1", "--backend", "cpu", "--checkpoint", ck.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("npy: 64 train / 16 test samples, lengths 1..5 (mean 3.0 of 5 steps)"), r.out());
        Result ev = MainTest.run("evaluate", "--checkpoint", ck.toString(), "--data", data.toString(), "--backend", "cpu");
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains("on seqs/test"), ev.out());
        Result resumed = MainTest.run("train", "--resume", ck.toString(), "--epochs", "2", "--data", data.toString(),
                "--backend", "cpu", "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());

        Result both = MainTest.run("train", "--data", data.toString(), "--dataset", "mnist", "--cell", "gru", "--epochs", "1");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--data DIR reads your own .npy arrays and cannot be combined with --dataset mnist"), both.err());
        Result twoDirs = MainTest.run("train", "--data", data.toString(), "--data-dir", data.toString(), "--cell", "gru");
        assertEquals(2, twoDirs.code());
        assertTrue(twoDirs.err().contains("both name the data folder"), twoDirs.err());
        Result classesOnMnist = MainTest.run("train", "--dataset", "mnist", "--classes", "12", "--cell", "gru");
        assertEquals(2, classesOnMnist.code());
        assertTrue(classesOnMnist.err().contains("--classes applies to your own arrays"), classesOnMnist.err());
        Result tooFew = MainTest.run("train", "--data", data.toString(), "--classes", "2", "--cell", "gru", "--epochs", "1",
                "--backend", "cpu");
        assertEquals(1, tooFew.code());
        assertTrue(tooFew.err().contains("y_train.npy: label 2 at index"), tooFew.err());

        lengths(data.resolve("lengths_test.npy"), 6, 1);
        Result bad = MainTest.run("train", "--data", data.toString(), "--cell", "gru", "--epochs", "1", "--backend", "cpu");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("lengths_test.npy: expected 16 lengths, one per sample of x_test.npy, found 2"), bad.err());
    }

    /**
     * docs/data.md's Python snippet, run with NumPy into a fresh folder, then trained on through
     * {@code --data}: the documented format is the one jrnn reads. Skipped, saying why, without
     * python3 and NumPy.
     */
    @Test
    void theDocumentedPythonSnippetWritesDataJrnnTrainsOn() throws Exception {
        Path doc = Path.of(System.getProperty("user.dir")).getParent().resolve("docs").resolve("data.md");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?s)```python\n(.*?)```").matcher(Files.readString(doc));
        assertTrue(m.find(), "docs/data.md has a ```python block");
        Path data = Files.createDirectories(dir.resolve("toy"));
        Files.writeString(data.resolve("make.py"), m.group(1));
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process p;
        try {
            p = new ProcessBuilder(python, "-c", "import numpy").redirectErrorStream(true).start();
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("SKIPPED: no python3 to run docs/data.md's snippet (" + e.getMessage() + ")");
            return;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, "SKIPPED: python3 has no NumPy: "
                + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        p = new ProcessBuilder(python, "make.py").directory(data.toFile()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "docs/data.md's snippet failed:\n" + log);
        Result r = MainTest.run("train", "--data", data.toString(), "--cell", "gru", "--units", "16", "--epochs", "3",
                "--lr", "0.01", "--backend", "cpu", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("npy: 2,000 train / 500 test samples, lengths 5..20"), r.out());
        java.util.regex.Matcher acc = java.util.regex.Pattern.compile("test accuracy: ([0-9.]+)").matcher(r.out());
        assertTrue(acc.find(), r.out());
        assertTrue(Double.parseDouble(acc.group(1)) > 0.6, "3 classes, chance 0.33: " + r.out());
    }

    /**
     * The model and training flags of variable-length data: a bidirectional GRU with summed
     * directions and length bucketing, checkpointed, resumed and evaluated; a Masking model on
     * zero-padded arrays without a lengths file.
     */
    @Test
    void bidirectionalBucketedAndMaskedRunsOnVariableLengths() throws Exception {
        Path data = Files.createDirectories(dir.resolve("var"));
        split(data, "train", 256, 5);
        split(data, "test", 64, 6);
        int[] len = new int[256];
        for (int i = 0; i < len.length; i++) len[i] = 1 + (i * 7) % 5;
        lengths(data.resolve("lengths_train.npy"), len);
        Path ck = dir.resolve("bi.safetensors"), metrics = dir.resolve("bi.json");
        Result r = MainTest.run("train", "--data", data.toString(), "--cell", "gru", "--units", "8", "--bidirectional",
                "--merge", "sum", "--bucket", "--epochs", "2", "--batch-size", "32", "--lr", "0.01", "--backend", "cpu",
                "--checkpoint", ck.toString(), "--metrics-out", metrics.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("model bigru8"), r.out());
        assertTrue(Files.readString(metrics).contains("\"bucketing\": true"), Files.readString(metrics));
        java.util.regex.Matcher acc = java.util.regex.Pattern.compile("test accuracy: ([0-9.]+)").matcher(r.out());
        assertTrue(acc.find() && Double.parseDouble(acc.group(1)) > 0.5, "3 classes, chance 0.33: " + r.out());
        Result resumed = MainTest.run("train", "--resume", ck.toString(), "--epochs", "3", "--data", data.toString(),
                "--backend", "cpu", "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("2 of 3 epochs done"), resumed.out());
        Result ev = MainTest.run("evaluate", "--checkpoint", ck.toString(), "--data", data.toString(), "--backend", "cpu");
        assertEquals(0, ev.code(), ev.err());
        Result fixed = MainTest.run("train", "--resume", ck.toString(), "--epochs", "4", "--data", data.toString(), "--bucket");
        assertEquals(2, fixed.code());
        assertTrue(fixed.err().contains("--bucket cannot be combined with --resume"), fixed.err());

        // zero padding after each sample's length, no lengths file: --mask 0 finds the lengths
        Files.delete(data.resolve("lengths_train.npy"));
        Result masked = MainTest.run("train", "--data", data.toString(), "--cell", "lstm", "--units", "8", "--mask", "0",
                "--epochs", "1", "--backend", "cpu", "--no-progress");
        assertEquals(0, masked.code(), masked.err());
        assertTrue(masked.out().contains("model lstm8"), masked.out());
    }

    /** {@code sweep --data DIR --bidirectional --bucket}: recorded in sweep.json and results.md, fixed on --resume. */
    @Test
    void sweepTakesDataBidirectionalAndBucket() throws IOException {
        Path data = Files.createDirectories(dir.resolve("sw"));
        split(data, "train", 128, 7);
        split(data, "test", 32, 8);
        cyclingLengths(data.resolve("lengths_train.npy"), 128);
        Path out = dir.resolve("sweep");
        Result r = MainTest.run("sweep", "--data", data.toString(), "--models", "gru4", "--epochs", "1", "--bidirectional",
                "--bucket", "--batch-size", "32", "--backend", "cpu", "--out", out.toString(), "--no-plots", "--no-progress");
        assertEquals(0, r.code(), r.err());
        String json = Files.readString(out.resolve("sweep.json")), md = Files.readString(out.resolve("results.md"));
        assertTrue(json.contains("\"bucketing\": true") && json.contains("\"bidirectional\": \"concat\""), json);
        assertTrue(md.contains("each layer Bidirectional, merge concat") && md.contains("batches bucketed by length"), md);
        Result again = MainTest.run("sweep", "--resume", out.toString(), "--epochs", "2", "--data", data.toString(),
                "--backend", "cpu", "--no-plots", "--no-progress");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("resuming after epoch 1 of 2"), again.out());
        Result fixed = MainTest.run("sweep", "--resume", out.toString(), "--bucket");
        assertEquals(2, fixed.code());
        assertTrue(fixed.err().contains("--bucket cannot be combined with --resume"), fixed.err());
        Result mergeAlone = MainTest.run("sweep", "--data", data.toString(), "--merge", "sum", "--out", dir.resolve("x").toString());
        assertEquals(2, mergeAlone.code());
        assertTrue(mergeAlone.err().contains("--merge sum needs --bidirectional"), mergeAlone.err());
    }
}
