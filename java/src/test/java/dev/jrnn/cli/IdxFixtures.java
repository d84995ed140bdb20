package dev.jrnn.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/** Writes small MNIST-shaped IDX files (gzip) for CLI tests. */
final class IdxFixtures {
    private IdxFixtures() {}

    static void writeDigitsLike(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(9);
        write(dir, "train", train, rnd);
        write(dir, "t10k", test, rnd);
    }

    private static void write(Path dir, String prefix, int n, SplittableRandom rnd) throws IOException {
        byte[] img = new byte[n * 28 * 28];
        byte[] lab = new byte[n];
        for (int i = 0; i < n; i++) {
            int label = rnd.nextInt(10);
            lab[i] = (byte) label;
            for (int c = 0; c < 28; c++) img[i * 784 + (label * 2 + 3) * 28 + c] = (byte) 200;
        }
        gz(dir.resolve(prefix + "-images-idx3-ubyte.gz"), 0x803, new int[] {n, 28, 28}, img);
        gz(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), 0x801, new int[] {n}, lab);
    }

    private static void gz(Path file, int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(bytes)) {
            d.writeInt(magic);
            for (int v : dims) d.writeInt(v);
            d.write(data);
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(bytes.toByteArray());
        }
    }
}
