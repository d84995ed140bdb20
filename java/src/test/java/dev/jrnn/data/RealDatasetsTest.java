package dev.jrnn.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks against the real files: Fashion-MNIST where Debian's dataset-fashion-mnist installed it,
 * MNIST in the folder {@code JRNN_MNIST_DIR} (or {@code -Djrnn.mnistDir}) names. Skipped, with a
 * reason, where they are absent; a failure instead where they were promised: Fashion-MNIST under
 * {@code JRNN_REQUIRE_DATA=1} (CI), MNIST whenever its folder is named.
 */
class RealDatasetsTest {

    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
    private static final Path MNIST = mnistDir();

    @TempDir
    Path tmp;

    /** The MNIST folder the environment names, or null. */
    static Path mnistDir() {
        String d = System.getenv("JRNN_MNIST_DIR");
        if (d == null || d.isBlank()) d = System.getProperty("jrnn.mnistDir");
        return d == null || d.isBlank() ? null : Path.of(d);
    }

    private static void assumeFashion(String... names) {
        for (String n : names) {
            Path p = FASHION.resolve(n);
            if (Files.isRegularFile(p)) continue;
            if ("1".equals(System.getenv("JRNN_REQUIRE_DATA"))) {
                throw new AssertionError("JRNN_REQUIRE_DATA=1 but " + p + " is missing (install Debian's dataset-fashion-mnist)");
            }
            Assumptions.abort("skipped: " + p + " is not present (Debian's dataset-fashion-mnist)");
        }
    }

    private static void assumeMnist(String... names) {
        if (MNIST == null) {
            Assumptions.abort("skipped: no MNIST folder named (set JRNN_MNIST_DIR to a folder with the MNIST IDX files)");
        }
        for (String n : names) {
            if (!Files.isRegularFile(MNIST.resolve(n))) {
                throw new AssertionError("JRNN_MNIST_DIR names " + MNIST + ", which lacks " + n);
            }
        }
    }

    private static int[] histogram(int[] y, int classes) {
        int[] h = new int[classes];
        for (int v : y) {
            h[v]++;
        }
        return h;
    }

    /** Finds the files through the locator, as the CLI does, with the system root pointing at /usr/share/datasets. */
    private Dataset loadFashion(Split split) throws IOException {
        var roots = new DatasetLocator.Roots(null, null, tmp.resolve("cache"), FASHION.getParent());
        return Datasets.load(DatasetCatalog.FASHION_MNIST, split, Preprocess.SCALE, new DatasetLocator(roots, null));
    }

    @Test
    void fashionMnistTestSet() throws IOException {
        assumeFashion("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
        Dataset d = loadFashion(Split.TEST);
        assertEquals("fashion-mnist/test", d.name());
        assertEquals(10000, d.size());
        assertEquals(28, d.steps());
        assertEquals(28, d.features());
        assertEquals(10, d.classes());
        int[] h = histogram(d.y(), 10);
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, h[c], "samples of class " + c);
        }
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float v : d.x()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
    }

    @Test
    void fashionMnistTrainSet() throws IOException {
        assumeFashion("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
        Dataset d = loadFashion(Split.TRAIN);
        assertEquals(60000, d.size());
        assertEquals(28 * 28, d.sampleSize());
        int[] h = histogram(d.y(), 10);
        for (int c = 0; c < 10; c++) {
            assertEquals(6000, h[c], "samples of class " + c);
        }
    }

    /**
     * Debian's files are the canonical ones with a rewritten gzip header: putting back the original
     * header (flag FNAME, the original mtime, the file name) must give the catalog's SHA-256. This
     * pins both the catalog's hashes and the Debian files' content.
     */
    /**
     * {@code fashion-mnist-trimmed}: the lengths scripts/trimmed-npy.py computes with NumPy from the
     * same files (an independent implementation of the rule): sum and histogram.
     */
    @Test
    void fashionMnistTrimmedHasTheLengthsNumpyComputes() throws IOException {
        assumeFashion("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
        Dataset d = Datasets.load("fashion-mnist-trimmed", FASHION, Split.TRAIN, Preprocess.SCALE);
        assertEquals("fashion-mnist-trimmed/train", d.name());
        int[] h = new int[29];
        long sum = 0;
        for (int n : d.lengths()) {
            h[n]++;
            sum += n;
        }
        assertEquals(1_446_487, sum, "sum of the 60,000 lengths (mean 24.11)");
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 0, 0, 0, 1, 35, 95, 172, 216, 386, 824, 1300, 1653, 1789,
                1268, 1032, 1049, 1298, 1537, 1293, 1208, 1200, 845, 990, 734, 820, 1126, 4340, 34789}, h, "lengths 0..28");
    }

    @Test
    void debianFashionMnistIsCanonicalUpToGzipHeader() throws IOException {
        String[] names = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
        int[] mtimes = {1504176606, 1504176606, 1504176627, 1504176627}; // 2017-08-31, from the originals
        assumeFashion(names);
        for (int i = 0; i < names.length; i++) {
            byte[] debian = Files.readAllBytes(FASHION.resolve(names[i]));
            Assumptions.assumeTrue(debian[3] == 0, "skipped: " + names[i] + " is not Debian's header-stripped copy");
            String raw = names[i].substring(0, names[i].length() - 3);
            ByteBuffer b = ByteBuffer.allocate(debian.length + raw.length() + 1).order(ByteOrder.LITTLE_ENDIAN);
            b.put(new byte[] {0x1f, (byte) 0x8b, 8, 8}).putInt(mtimes[i]).put(new byte[] {0, 3});
            b.put(raw.getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
            b.put(debian, 10, debian.length - 10);
            String name = names[i];
            DataFile want = fashionFiles().stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow();
            assertEquals(want.size(), b.array().length, names[i] + " size");
            assertEquals(want.sha256(), Idx.sha256(b.array()), names[i] + " SHA-256");
        }
    }

    private static java.util.List<DataFile> fashionFiles() {
        DatasetSpec s = DatasetCatalog.FASHION_MNIST;
        return java.util.List.of(s.trainImages(), s.trainLabels(), s.testImages(), s.testLabels());
    }

    @Test
    void mnistTestSet() throws IOException {
        assumeMnist("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
        Dataset d = Datasets.fromIdx("mnist/test", MNIST.resolve("t10k-images-idx3-ubyte.gz"),
                MNIST.resolve("t10k-labels-idx1-ubyte.gz"), 10, Preprocess.SCALE);
        assertEquals(10000, d.size());
        assertEquals(28, d.steps());
        assertEquals(28, d.features());
        assertEquals(7, d.y()[0], "the first MNIST test image is a 7");
        assertEquals(2, d.y()[1]);
        assertEquals(1, d.y()[2]);
        int[] h = histogram(d.y(), 10);
        assertEquals(980, h[0]);
        assertEquals(1135, h[1]);
    }

    @Test
    void mnistCatalogHashesMatchRealFiles() throws IOException {
        for (DataFile f : java.util.List.of(DatasetCatalog.MNIST.testImages(), DatasetCatalog.MNIST.testLabels(),
                DatasetCatalog.MNIST.trainLabels())) {
            assumeMnist(f.name());
            Path p = MNIST.resolve(f.name());
            assertEquals(f.size(), Files.size(p), f.name() + " size");
            assertEquals(f.sha256(), Downloader.sha256(p), f.name() + " SHA-256");
        }
    }
}
