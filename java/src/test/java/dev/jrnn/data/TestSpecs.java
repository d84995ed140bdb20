package dev.jrnn.data;

import java.net.URI;
import java.util.List;

/** Dataset specs for tests; the sizes and hashes are placeholders unless a test sets them. */
final class TestSpecs {

    private TestSpecs() {
    }

    static final String ZERO_SHA = "0".repeat(64);

    /** A spec with the standard file names and placeholder size and hashes. */
    static DatasetSpec tiny(String name, int classes, List<URI> mirrors) {
        return new DatasetSpec(name, classes, mirrors,
                new DataFile("train-images-idx3-ubyte.gz", 1, ZERO_SHA),
                new DataFile("train-labels-idx1-ubyte.gz", 1, ZERO_SHA),
                new DataFile("t10k-images-idx3-ubyte.gz", 1, ZERO_SHA),
                new DataFile("t10k-labels-idx1-ubyte.gz", 1, ZERO_SHA));
    }

    /** A spec whose files are exactly the given bytes (standard names, real sizes and hashes). */
    static DatasetSpec of(String name, int classes, List<URI> mirrors,
                          byte[] trainImages, byte[] trainLabels, byte[] testImages, byte[] testLabels) {
        return new DatasetSpec(name, classes, mirrors,
                file("train-images-idx3-ubyte.gz", trainImages),
                file("train-labels-idx1-ubyte.gz", trainLabels),
                file("t10k-images-idx3-ubyte.gz", testImages),
                file("t10k-labels-idx1-ubyte.gz", testLabels));
    }

    static DataFile file(String name, byte[] content) {
        return new DataFile(name, content.length, Idx.sha256(content));
    }
}
