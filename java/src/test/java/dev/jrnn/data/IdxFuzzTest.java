package dev.jrnn.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.fuzz.Fuzzing;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Fuzz targets for the IDX reader, raw and gzip: only {@link IdxFormatException} (an
 * IOException with a message) may come out. {@code @FuzzTest}s run their corpus
 * (src/test/resources/.../IdxFuzzTestInputs) in every test run and fuzz under scripts/fuzz.sh;
 * the {@code @Test} fuzzes each for a few seconds with {@link Fuzzing#mutate}.
 */
class IdxFuzzTest {
    private static final Path NAME = Path.of("fuzz-idx3-ubyte");

    /** The file as given: raw IDX, or gzip when it starts with 1f 8b. */
    static void raw(byte[] input) {
        Fuzzing.only(input, in -> IdxReader.read(new ByteArrayInputStream(in), NAME), IOException.class);
    }

    /** The input gzip-compressed, whole or cut short: the gzip path on well-formed and damaged streams. */
    static void gzip(byte[] input) {
        Fuzzing.only(input, in -> {
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bo)) {
                gz.write(in);
            }
            byte[] z = bo.toByteArray();
            int cut = in.length > 0 && (in[in.length - 1] & 1) == 1 ? Math.max(10, z.length - 1 - (in[0] & 0x0f)) : z.length;
            IdxReader.read(new ByteArrayInputStream(java.util.Arrays.copyOf(z, Math.min(cut, z.length))), NAME);
        }, IOException.class);
    }

    @FuzzTest(maxDuration = "5m")
    void idxRaw(byte[] input) {
        raw(input);
    }

    @FuzzTest(maxDuration = "5m")
    void idxGzip(byte[] input) {
        gzip(input);
    }

    @Test
    void timeBoxedMutationRun() throws Exception {
        var a = Fuzzing.mutate(Fuzzing.corpus(getClass(), "idxRaw"), Fuzzing.seconds() / 2, 1, 2000, IdxFuzzTest::raw);
        var b = Fuzzing.mutate(Fuzzing.corpus(getClass(), "idxGzip"), Fuzzing.seconds() / 2, 2, 2000, IdxFuzzTest::gzip);
        System.out.println("fuzz idxRaw: " + a + "; idxGzip: " + b);
        assertTrue(a.inputs() > 0 && b.inputs() > 0);
    }
}
