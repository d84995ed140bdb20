package dev.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.cli.MainTest.Result;
import dev.jrnn.data.InstalledFashionMnist;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --dataset fashion-mnist-trimmed}: the variable-length task of docs/data.md, from the CLI. */
class TrimmedDatasetTest {
    @TempDir
    Path dir;

    @Test
    void trainsAndEvaluatesTrimmedFashionMnist() {
        Path fashion = InstalledFashionMnist.require();
        Path ck = dir.resolve("trimmed.safetensors");
        Result r = MainTest.run("train", "--dataset", "fashion-mnist-trimmed", "--data-dir", fashion.toString(), "--limit", "1024",
                "--cell", "gru", "--units", "8", "--epochs", "1", "--backend", "cpu", "--checkpoint", ck.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s)fashion-mnist-trimmed: 1,024 train / 10,000 test samples, lengths \\d+\\.\\.28 \\(mean 2\\d\\.\\d of 28"
                + " steps\\); model gru8.*"), r.out());
        Result ev = MainTest.run("evaluate", "--checkpoint", ck.toString(), "--data-dir", fashion.toString(), "--backend", "cpu");
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains("on fashion-mnist-trimmed/test"), ev.out());
    }
}
