package dev.jrnn.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.backend.Activation;
import dev.jrnn.fuzz.Fuzzing;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Fuzz targets for safetensors, jrnn checkpoints and PyTorch imports: only an IOException with a
 * message ({@link CheckpointFormatException} for a bad file) may come out; no other runtime
 * exception, no OutOfMemoryError from a lying size or offset, no hang.
 */
class FormatFuzzTest {
    private static final Path NAME = Path.of("fuzz.safetensors");

    static void safetensors(byte[] input) {
        Fuzzing.only(input, in -> SafeTensors.decode(NAME, in), CheckpointFormatException.class);
    }

    static void checkpoint(byte[] input) {
        Fuzzing.only(input, in -> Checkpoint.fromContents(NAME, SafeTensors.decode(NAME, in)), IOException.class);
    }

    static void pytorch(byte[] input) {
        Fuzzing.only(input, in -> PyTorchWeights.fromContents(NAME, SafeTensors.decode(NAME, in), 28, Activation.TANH, 0.2),
                IOException.class);
    }

    @FuzzTest(maxDuration = "5m")
    void safetensorsHeader(byte[] input) {
        safetensors(input);
    }

    @FuzzTest(maxDuration = "5m")
    void checkpointLoad(byte[] input) {
        checkpoint(input);
    }

    @FuzzTest(maxDuration = "5m")
    void pytorchImport(byte[] input) {
        pytorch(input);
    }

    @Test
    void timeBoxedMutationRun() throws Exception {
        double s = Fuzzing.seconds() / 3;
        var a = Fuzzing.mutate(Fuzzing.corpus(getClass(), "safetensorsHeader"), s, 3, 2000, FormatFuzzTest::safetensors);
        var b = Fuzzing.mutate(Fuzzing.corpus(getClass(), "checkpointLoad"), s, 4, 2000, FormatFuzzTest::checkpoint);
        var c = Fuzzing.mutate(Fuzzing.corpus(getClass(), "pytorchImport"), s, 5, 2000, FormatFuzzTest::pytorch);
        System.out.println("fuzz safetensorsHeader: " + a + "; checkpointLoad: " + b + "; pytorchImport: " + c);
        assertTrue(a.inputs() > 0 && b.inputs() > 0 && c.inputs() > 0);
    }
}
