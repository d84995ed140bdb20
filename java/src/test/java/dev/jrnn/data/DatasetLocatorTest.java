package dev.jrnn.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class DatasetLocatorTest {

    @TempDir
    Path tmp;

    private final DatasetSpec spec = TestSpecs.tiny("tiny", 10, List.of());

    private Path given() {
        return tmp.resolve("given");
    }

    private Path env() {
        return tmp.resolve("env");
    }

    private Path cache() {
        return tmp.resolve("cache");
    }

    private Path system() {
        return tmp.resolve("system");
    }

    /** Writes the test split's two files (gzip) into {@code dir}. */
    private static void putTest(Path dir) throws IOException {
        Idx.write(dir.resolve("t10k-images-idx3-ubyte.gz"), Idx.gzip(Idx.images(2, 2, 2)));
        Idx.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), Idx.gzip(Idx.labels(2, 10)));
    }

    private DatasetLocator.SplitFiles locate(Path dataDir, Path jrnnData) throws IOException {
        var roots = new DatasetLocator.Roots(dataDir, jrnnData, cache(), system());
        return new DatasetLocator(roots, null).locate(spec, Split.TEST);
    }

    @Test
    void searchOrderIsEnvThenCacheThenSystem() throws IOException {
        putTest(env().resolve("tiny"));
        putTest(cache().resolve("tiny"));
        putTest(system().resolve("tiny"));
        assertEquals(env().resolve("tiny/t10k-images-idx3-ubyte.gz"), locate(null, env()).images());
        assertEquals(cache().resolve("tiny/t10k-labels-idx1-ubyte.gz"), locate(null, null).labels());
        deleteTree(cache());
        assertEquals(system().resolve("tiny/t10k-images-idx3-ubyte.gz"), locate(null, env().resolve("x")).images());
    }

    @Test
    void explicitDirectoryWinsAndIsTheOnlyOneSearched() throws IOException {
        putTest(given());
        putTest(env().resolve("tiny"));
        assertEquals(given().resolve("t10k-images-idx3-ubyte.gz"), locate(given(), env()).images());

        Path empty = tmp.resolve("empty");
        var e = assertThrows(DatasetNotFoundException.class, () -> locate(empty, env()));
        assertTrue(e.getMessage().contains("not found together in " + empty + ", and downloading is off"),
                e.getMessage());
    }

    @Test
    void acceptsRawFilesAndPrefersGzip() throws IOException {
        Path d = cache().resolve("tiny");
        Idx.write(d.resolve("t10k-images-idx3-ubyte"), Idx.images(2, 2, 2));
        Idx.write(d.resolve("t10k-labels-idx1-ubyte"), Idx.labels(2, 10));
        assertEquals(d.resolve("t10k-images-idx3-ubyte"), locate(null, null).images());
        Idx.write(d.resolve("t10k-images-idx3-ubyte.gz"), Idx.gzip(Idx.images(2, 2, 2)));
        assertEquals(d.resolve("t10k-images-idx3-ubyte.gz"), locate(null, null).images());
        assertEquals(d.resolve("t10k-labels-idx1-ubyte"), locate(null, null).labels());
    }

    @Test
    void directoryMissingOneFileIsSkipped() throws IOException {
        Idx.write(cache().resolve("tiny/t10k-images-idx3-ubyte.gz"), Idx.gzip(Idx.images(2, 2, 2)));
        putTest(system().resolve("tiny"));
        assertEquals(system().resolve("tiny/t10k-images-idx3-ubyte.gz"), locate(null, null).images());
    }

    @Test
    void notFoundNamesFilesAndEveryDirectory() {
        var e = assertThrows(DatasetNotFoundException.class, () -> locate(null, env()));
        String m = e.getMessage();
        for (Path p : List.of(env().resolve("tiny"), cache().resolve("tiny"), system().resolve("tiny"))) {
            assertTrue(m.contains(p.toString()), () -> "message should name " + p + ": " + m);
        }
        assertTrue(m.startsWith("tiny test: t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"), m);
        assertTrue(m.contains("Put them into " + env().resolve("tiny")), m);
    }

    @Test
    void downloadsIntoTheRightDirectory() throws IOException {
        byte[] img = Idx.gzip(Idx.images(3, 4, 4));
        byte[] lab = Idx.gzip(Idx.labels(3, 10));
        try (TinyServer server = new TinyServer()) {
            server.serve("/m/t10k-images-idx3-ubyte.gz", img).serve("/m/t10k-labels-idx1-ubyte.gz", lab);
            DatasetSpec served = TestSpecs.of("tiny", 10, List.of(server.mirror("m")), img, lab, img, lab);
            Downloader quiet = Downloader.create(false);

            record Case(Path dataDir, Path jrnnData, Path expected) {
            }
            // NB: order matters: a later case must not find what an earlier one downloaded
            for (Case c : List.of(new Case(null, env(), env().resolve("tiny")),
                    new Case(given(), env(), given()),
                    new Case(null, null, cache().resolve("tiny")))) {
                var roots = new DatasetLocator.Roots(c.dataDir(), c.jrnnData(), cache(), system());
                var files = new DatasetLocator(roots, quiet).locate(served, Split.TEST);
                assertEquals(c.expected().resolve("t10k-images-idx3-ubyte.gz"), files.images(), c.toString());
                assertEquals(c.expected().resolve("t10k-labels-idx1-ubyte.gz"), files.labels(), c.toString());
                assertTrue(Files.isRegularFile(files.images()));
            }
            // each case downloaded once; afterwards the files are found without a request
            assertEquals(3, server.hits("/m/t10k-images-idx3-ubyte.gz"));
            var again = new DatasetLocator(new DatasetLocator.Roots(null, null, cache(), system()), quiet)
                    .locate(served, Split.TEST);
            assertEquals(cache().resolve("tiny/t10k-images-idx3-ubyte.gz"), again.images());
            assertEquals(3, server.hits("/m/t10k-images-idx3-ubyte.gz"));
            Dataset d = Datasets.load(served, Split.TEST, Preprocess.SCALE,
                    new DatasetLocator(new DatasetLocator.Roots(null, null, cache(), system()), quiet));
            assertEquals(3, d.size());
        }
    }

    @Test
    void downloadsOnlyTheMissingFileIntoTheExplicitDirectory() throws IOException {
        byte[] img = Idx.gzip(Idx.images(3, 4, 4));
        byte[] lab = Idx.gzip(Idx.labels(3, 10));
        // a repackaged copy: same IDX content, different bytes and hash from the published file
        byte[] ownImages = Idx.images(3, 4, 4);
        Path mine = Idx.write(given().resolve("t10k-images-idx3-ubyte"), ownImages);
        try (TinyServer server = new TinyServer()) {
            server.serve("/m/t10k-images-idx3-ubyte.gz", img).serve("/m/t10k-labels-idx1-ubyte.gz", lab);
            DatasetSpec served = TestSpecs.of("tiny", 10, List.of(server.mirror("m")), img, lab, img, lab);
            var roots = new DatasetLocator.Roots(given(), null, cache(), system());
            var files = new DatasetLocator(roots, Downloader.create(false)).locate(served, Split.TEST);
            assertEquals(mine, files.images());
            assertEquals(given().resolve("t10k-labels-idx1-ubyte.gz"), files.labels());
            assertEquals(0, server.hits("/m/t10k-images-idx3-ubyte.gz"));
            assertEquals(1, server.hits("/m/t10k-labels-idx1-ubyte.gz"));
            assertTrue(java.util.Arrays.equals(ownImages, Files.readAllBytes(mine)), "own file left untouched");
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
