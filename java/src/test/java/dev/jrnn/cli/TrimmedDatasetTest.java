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
    void trainsEvaluatesAndPredictsTrimmedFashionMnist() throws java.io.IOException {
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
        // predict trims the image as the model was trained: the same probabilities as the test set's
        // trimmed sample 0 through Trainer.predict with its length
        Result p = MainTest.run("predict", "--checkpoint", ck.toString(), "--image",
                fashion.resolve("t10k-images-idx3-ubyte.gz").toString(), "--index", "0", "--json", "--backend", "cpu");
        assertEquals(0, p.code(), p.err());
        float[] expected;
        try (var be = dev.jrnn.backend.Backends.cpu(1); var t = new dev.jrnn.train.Trainer(dev.jrnn.io.Checkpoint.load(ck).model(), be,
                dev.jrnn.train.TrainConfig.defaults())) {
            t.network().setParameters(dev.jrnn.io.Checkpoint.load(ck).params());
            var test = dev.jrnn.data.Datasets.load("fashion-mnist-trimmed", fashion, dev.jrnn.data.Split.TEST,
                    dev.jrnn.data.Preprocess.SCALE).head(1);
            expected = t.predict(test.x(), test.lengths(), 1);
        }
        var probs = com.google.gson.JsonParser.parseString(p.out()).getAsJsonObject().getAsJsonArray("probabilities");
        assertEquals(10, probs.size(), p.out());
        for (int i = 0; i < 10; i++) {
            org.junit.jupiter.api.Assertions.assertEquals(expected[i], probs.get(i).getAsFloat(), 1e-5f, "class " + i + ": " + p.out());
        }
    }
}
