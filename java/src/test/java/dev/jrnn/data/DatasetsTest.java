package dev.jrnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    @TempDir
    Path dir;

    @Test
    void scalesPixelsAndMapsRowsToTimesteps() throws IOException {
        // NB: non-square images so that T = rows and F = cols cannot be swapped unnoticed
        Path img = Idx.write(dir.resolve("i.gz"), Idx.gzip(Idx.images(6, 3, 5)));
        Path lab = Idx.write(dir.resolve("l"), Idx.labels(6, 4));
        Dataset d = Datasets.fromIdx("tiny/train", img, lab, 4, Preprocess.SCALE);
        assertEquals("tiny/train", d.name());
        assertEquals(6, d.size());
        assertEquals(3, d.steps());
        assertEquals(5, d.features());
        assertEquals(4, d.classes());
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1}, d.y());
        for (int i = 0; i < d.x().length; i++) {
            assertEquals(Idx.pixel(i) / 255f, d.x()[i], 0f, "x[" + i + "]");
        }
    }

    @Test
    void scaledValuesSpanZeroToOne() throws IOException {
        byte[] px = {0, (byte) 255, (byte) 128, 1};
        Path img = Idx.write(dir.resolve("i"), Idx.ubyte(px, 1, 2, 2));
        Path lab = Idx.write(dir.resolve("l"), Idx.labels(1, 10));
        Dataset d = Datasets.fromIdx("t", img, lab, 10, Preprocess.SCALE);
        assertArrayEquals(new float[] {0f, 1f, 128 / 255f, 1 / 255f}, d.x(), 0f);
    }

    @Test
    void binarizesAfterScalingWithStrictThreshold() throws IOException {
        // 25/255 = 0.098 <= 0.1 -> 0; 26/255 = 0.102 > 0.1 -> 1
        byte[] px = {0, 25, 26, (byte) 255};
        Path img = Idx.write(dir.resolve("i"), Idx.ubyte(px, 1, 2, 2));
        Path lab = Idx.write(dir.resolve("l"), Idx.labels(1, 10));
        Dataset d = Datasets.fromIdx("t", img, lab, 10, Preprocess.binarize());
        assertArrayEquals(new float[] {0f, 0f, 1f, 1f}, d.x(), 0f);

        Dataset half = Datasets.fromIdx("t", img, lab, 10, Preprocess.binarize(0.5f));
        assertArrayEquals(new float[] {0f, 0f, 0f, 1f}, half.x(), 0f);
    }

    @Test
    void preprocessRejectsThresholdOutsideUnitInterval() {
        assertThrows(IllegalArgumentException.class, () -> Preprocess.binarize(1f));
        assertThrows(IllegalArgumentException.class, () -> Preprocess.binarize(-0.1f));
        assertThrows(IllegalArgumentException.class, () -> Preprocess.binarize(Float.NaN));
    }

    @Test
    void rejectsCountMismatch() throws IOException {
        Path img = Idx.write(dir.resolve("i"), Idx.images(5, 2, 2));
        Path lab = Idx.write(dir.resolve("l"), Idx.labels(4, 10));
        var e = assertThrows(IdxFormatException.class,
                () -> Datasets.fromIdx("t", img, lab, 10, Preprocess.SCALE));
        assertEquals(lab, e.file());
        assertTrue(e.getMessage().contains("expected 5 labels"), e.getMessage());
        assertTrue(e.getMessage().contains("found 4"), e.getMessage());
    }

    @Test
    void rejectsLabelOutOfRange() throws IOException {
        Path img = Idx.write(dir.resolve("i"), Idx.images(3, 2, 2));
        Path lab = Idx.write(dir.resolve("l"), Idx.ubyte(new byte[] {1, 10, 2}, 3));
        var e = assertThrows(IdxFormatException.class,
                () -> Datasets.fromIdx("t", img, lab, 10, Preprocess.SCALE));
        assertTrue(e.getMessage().contains("label 10 at index 1 is outside [0, 10)"), e.getMessage());
    }

    @Test
    void loadsSplitThroughLocator() throws IOException {
        Path root = dir.resolve("cache");
        Path ds = root.resolve("tiny");
        Idx.write(ds.resolve("t10k-images-idx3-ubyte.gz"), Idx.gzip(Idx.images(7, 2, 3)));
        Idx.write(ds.resolve("t10k-labels-idx1-ubyte"), Idx.labels(7, 3));
        DatasetSpec spec = TestSpecs.tiny("tiny", 3, java.util.List.of());
        var locator = new DatasetLocator(new DatasetLocator.Roots(null, null, root, dir.resolve("none")), null);
        Dataset d = Datasets.load(spec, Split.TEST, Preprocess.SCALE, locator);
        assertEquals("tiny/test", d.name());
        assertEquals(7, d.size());
        assertEquals(2, d.steps());
        assertEquals(3, d.features());
    }

    @Test
    void catalogKnowsBothDatasets() {
        assertEquals("mnist", DatasetCatalog.get("mnist").name());
        assertEquals("fashion-mnist", DatasetCatalog.get("fashion-mnist").name());
        assertEquals("t10k-images-idx3-ubyte.gz", DatasetCatalog.MNIST.images(Split.TEST).name());
        assertEquals("train-labels-idx1-ubyte.gz", DatasetCatalog.FASHION_MNIST.labels(Split.TRAIN).name());
        var e = assertThrows(IllegalArgumentException.class, () -> DatasetCatalog.get("cifar"));
        assertTrue(e.getMessage().contains("mnist, fashion-mnist"), e.getMessage());
    }

    @Test
    void trimmingBlankRowsShiftsContentUpAndRecordsLengths() throws IOException {
        // 3 images of 4 rows x 2 cols: content in rows 1..2; blank (below the threshold); full
        float[] x = {
            0, 0.05f,  0.5f, 0,  0, 0.2f,  0, 0,
            0.1f, 0,  0, 0,  0, 0.05f,  0, 0,
            1, 1,  0, 0,  0, 0,  0, 0.3f};
        Dataset d = new Dataset("t", x, new int[] {0, 1, 2}, 4, 2, 3);
        Dataset t = Datasets.trimBlankRows(d, "t-trimmed", 0.1f);
        assertEquals("t-trimmed", t.name());
        assertArrayEquals(new int[] {2, 1, 4}, t.lengths());
        assertArrayEquals(new float[] {
            0.5f, 0,  0, 0.2f,  0, 0,  0, 0,
            0, 0,  0, 0,  0, 0,  0, 0,
            1, 1,  0, 0,  0, 0,  0, 0.3f}, t.x(), 0f);
        assertArrayEquals(d.y(), t.y());
        assertEquals(4, t.steps());
        assertEquals(0.05f, d.x()[1], "the source is not changed");
        // the validation split and --limit keep each sample's length
        DataSelection.Splits s = new DataSelection("t", 0, 0.5, Preprocess.SCALE).split(t, t.head(1));
        assertArrayEquals(new int[] {2}, s.train().lengths());
        assertArrayEquals(new int[] {1, 4}, s.validation().lengths());
        assertArrayEquals(new int[] {2}, s.test().lengths());
        var e = assertThrows(IllegalArgumentException.class, () -> Datasets.load("cifar-trimmed", dir, Split.TEST, Preprocess.SCALE));
        assertTrue(e.getMessage().contains("mnist, fashion-mnist, mnist-trimmed, fashion-mnist-trimmed, npy"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Datasets.load("npy-trimmed", dir, Split.TEST, Preprocess.SCALE));
        assertTrue(e.getMessage().contains("npy brings its own lengths"), e.getMessage());
    }

    @Test
    void rangeCopiesSamplesAndChecksBounds() {
        Dataset d = new Dataset("d", new float[] {0, 1, 2, 3, 4, 5}, new int[] {0, 1, 2}, 1, 2, 3);
        Dataset r = d.range(1, 3);
        assertEquals(2, r.size());
        assertEquals(2f, r.x()[0]);
        assertEquals(2, r.y()[1]);
        assertEquals("d[1:3]", r.name());
        assertThrows(IllegalArgumentException.class, () -> d.range(2, 4));
        assertThrows(IllegalArgumentException.class, () -> d.range(2, 1));
    }

    @Test
    void validationSplitHoldsOutTheLastFractionAsKeras() {
        float[] x = new float[12];
        int[] y = new int[12];
        for (int i = 0; i < 12; i++) {
            x[i] = i;
            y[i] = i % 3;
        }
        Dataset train = new Dataset("t", x, y, 1, 1, 3), test = train.head(2);
        // limit 10, then split_at = floor(10 * (1 - 0.25)) = 7
        DataSelection.Splits s = new DataSelection("t", 10, 0.25, Preprocess.SCALE).split(train, test);
        assertEquals(7, s.train().size());
        assertEquals(3, s.validation().size());
        assertEquals(7f, s.validation().x()[0]);
        assertEquals(6f, s.train().x()[6]);
        assertEquals(test, s.test());
        assertEquals(null, new DataSelection("t", 0, 0, Preprocess.SCALE).split(train, test).validation());
        var e = assertThrows(IllegalArgumentException.class, () -> new DataSelection("t", 1, 0.5, Preprocess.SCALE).split(train, test));
        assertTrue(e.getMessage().contains("leaves 0 for training"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DataSelection("t", 0, 1.0, Preprocess.SCALE));
    }
}
