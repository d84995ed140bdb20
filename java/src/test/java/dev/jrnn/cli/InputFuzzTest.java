package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.experiment.Sweep;
import dev.jrnn.fuzz.Fuzzing;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Fuzz targets for what the CLI reads from users: PNG images for predict (IOException, or
 * IllegalArgumentException for a PNG of the wrong size), the metrics JSON and the sweep JSON read
 * back by --resume (IOException).
 */
class InputFuzzTest {
    static void png(byte[] input) {
        Fuzzing.only(input, in -> PredictCommand.readPng(in, Path.of("f.png"), 28, 28),
                IOException.class, IllegalArgumentException.class);
    }

    static void metrics(byte[] input) {
        Fuzzing.only(input, in -> MetricsFile.parse(Path.of("metrics.json"), in), IOException.class);
    }

    static void sweep(byte[] input) {
        Fuzzing.only(input, in -> Sweep.parseConfig(Path.of("sweep.json"), in), IOException.class);
    }

    @FuzzTest(maxDuration = "5m")
    void pngImage(byte[] input) {
        png(input);
    }

    @FuzzTest(maxDuration = "5m")
    void metricsJson(byte[] input) {
        metrics(input);
    }

    @FuzzTest(maxDuration = "5m")
    void sweepJson(byte[] input) {
        sweep(input);
    }

    @Test
    void timeBoxedMutationRun() throws Exception {
        double s = Fuzzing.seconds() / 3;
        var a = Fuzzing.mutate(Fuzzing.corpus(getClass(), "pngImage"), s, 6, 2000, InputFuzzTest::png);
        var b = Fuzzing.mutate(Fuzzing.corpus(getClass(), "metricsJson"), s, 7, 2000, InputFuzzTest::metrics);
        var c = Fuzzing.mutate(Fuzzing.corpus(getClass(), "sweepJson"), s, 8, 2000, InputFuzzTest::sweep);
        System.out.println("fuzz pngImage: " + a + "; metricsJson: " + b + "; sweepJson: " + c);
        assertTrue(a.inputs() > 0 && b.inputs() > 0 && c.inputs() > 0);
    }
}
