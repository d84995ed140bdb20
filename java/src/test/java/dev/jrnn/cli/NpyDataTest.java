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
}
