package dev.jrnn.data;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's dataset-fashion-mnist, for the tests that train on real data: they skip, saying why,
 * where it is not installed, and fail where CI promised it ({@code JRNN_REQUIRE_DATA=1}).
 */
public final class InstalledFashionMnist {
    /** Where {@code apt-get install dataset-fashion-mnist} puts the IDX files. */
    public static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private InstalledFashionMnist() {}

    /** Returns {@link #DIR} when the training images are there; else skips the test or, under CI, fails it. */
    public static Path require() {
        boolean present = Files.isRegularFile(DIR.resolve("train-images-idx3-ubyte.gz"));
        if (!present && "1".equals(System.getenv("JRNN_REQUIRE_DATA"))) {
            throw new AssertionError("JRNN_REQUIRE_DATA=1 but Fashion-MNIST is missing at " + DIR
                    + ": apt-get install dataset-fashion-mnist");
        }
        Assumptions.assumeTrue(present, "SKIPPED: Fashion-MNIST not installed at " + DIR
                + " (apt-get install dataset-fashion-mnist)");
        return DIR;
    }
}
