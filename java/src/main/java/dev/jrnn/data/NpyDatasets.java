package dev.jrnn.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A user's own sequences, as NumPy arrays in Keras' naming: {@code x_train.npy} (N, T, F) float32
 * (or float64), {@code y_train.npy} (N) integer class labels, optionally {@code lengths_train.npy}
 * (N) integers, and the same with {@code _test}. Written, for example, by
 * <pre>
 *   np.save("x_train.npy", x_train.astype("float32"))   # (N, T, F)
 *   np.save("y_train.npy", y_train.astype("int64"))     # (N,)
 * </pre>
 * The number of classes is the largest label plus one, or given. Every inconsistency is an
 * {@link NpyFormatException} naming the file: shapes that do not match, a negative label or one
 * outside the classes given.
 *
 * <p>Variable lengths: {@code lengths_train.npy} (and {@code lengths_test.npy}), if present,
 * hold each sample's number of valid steps in [1, T]; sample i's steps {@code [0, lengths[i])}
 * are its sequence and the rest padding (right-padded, as PyTorch's {@code pack_padded_sequence}
 * and Keras' masks), whatever values the padding holds. Without the file every sample has all T
 * steps. The lengths end up in {@link Dataset#lengths()}.
 */
public final class NpyDatasets {

    private NpyDatasets() {
    }

    /**
     * The train and test split of a folder of arrays.
     *
     * @param train the training samples
     * @param test  the test samples (same T, F and classes)
     */
    public record Splits(Dataset train, Dataset test) {
    }

    /**
     * Loads {@code dir}.
     *
     * @param dir     the folder with {@code x_train.npy}, {@code y_train.npy}, {@code x_test.npy}, {@code y_test.npy}
     * @param classes the number of classes, or 0 to take the largest label plus one
     * @return both splits
     * @throws NpyFormatException when a file is missing, malformed or does not fit the others
     * @throws IOException        when a file cannot be read
     */
    public static Splits load(Path dir, int classes) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NpyFormatException(dir, "expected a folder with x_train.npy, y_train.npy, x_test.npy and y_test.npy");
        }
        NpyReader.Floats xTrain = NpyReader.readFloats(need(dir, "x_train.npy"), 3);
        NpyReader.Integers yTrain = NpyReader.readIntegers(need(dir, "y_train.npy"), 1);
        NpyReader.Floats xTest = NpyReader.readFloats(need(dir, "x_test.npy"), 3);
        NpyReader.Integers yTest = NpyReader.readIntegers(need(dir, "y_test.npy"), 1);
        int steps = xTrain.shape()[1], features = xTrain.shape()[2];
        if (xTest.shape()[1] != steps || xTest.shape()[2] != features) {
            throw new NpyFormatException(dir.resolve("x_test.npy"), "expected (N, " + steps + ", " + features
                    + ") like x_train.npy, found " + NpyReader.shapeString(xTest.shape()));
        }
        long max = -1;
        for (NpyReader.Integers y : new NpyReader.Integers[] {yTrain, yTest}) for (long v : y.values()) max = Math.max(max, v);
        if (classes <= 0) {
            if (max + 1 > Integer.MAX_VALUE) throw new NpyFormatException(dir.resolve("y_train.npy"), "a label of " + max + " is too large");
            classes = (int) Math.max(2, max + 1);
        }
        Dataset train = dataset(dir, "train", xTrain, yTrain, classes);
        Dataset test = dataset(dir, "test", xTest, yTest, classes);
        return new Splits(train, test);
    }

    private static Path need(Path dir, String name) throws NpyFormatException {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new NpyFormatException(p, "missing: a data folder holds x_train.npy (N, T, F), y_train.npy (N), "
                    + "x_test.npy and y_test.npy (np.save)");
        }
        return p;
    }

    private static Dataset dataset(Path dir, String split, NpyReader.Floats x, NpyReader.Integers y, int classes)
            throws IOException {
        int n = x.shape()[0], steps = x.shape()[1];
        Path yFile = dir.resolve("y_" + split + ".npy");
        if (y.shape()[0] != n) {
            throw new NpyFormatException(yFile, "expected " + n + " labels, one per sample of x_" + split + ".npy, found "
                    + y.shape()[0]);
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            long v = y.values()[i];
            if (v < 0 || v >= classes) {
                throw new NpyFormatException(yFile, "label " + v + " at index " + i + " is outside [0, " + classes + ")"
                        + "; labels are class indices (use --classes for more classes)");
            }
            labels[i] = (int) v;
        }
        int[] lengths = lengths(dir.resolve("lengths_" + split + ".npy"), split, n, steps);
        return new Dataset(dir.getFileName() + "/" + split, x.values(), labels, steps, x.shape()[2], classes, lengths);
    }

    /**
     * Reads {@code lengths_<split>.npy} if it exists: (N) integers in [1, T], sample i's valid steps
     * (its first {@code lengths[i]} steps; the rest is padding).
     *
     * @return the lengths, or null when the file is absent
     */
    private static int[] lengths(Path file, String split, int n, int steps) throws IOException {
        if (!Files.exists(file)) return null;
        NpyReader.Integers len = NpyReader.readIntegers(file, 1, "lengths");
        if (len.shape()[0] != n) {
            throw new NpyFormatException(file, "expected " + n + " lengths, one per sample of x_" + split + ".npy, found "
                    + len.shape()[0] + "; save the number of valid steps of each sample, in order");
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            long v = len.values()[i];
            if (v < 1 || v > steps) {
                throw new NpyFormatException(file, "length " + v + " at index " + i + " is outside [1, " + steps + "]"
                        + " (x_" + split + ".npy has " + steps + " steps); a length counts sample " + i + "'s valid steps,"
                        + " which start at step 0, the padding after them");
            }
            out[i] = (int) v;
        }
        return out;
    }
}
