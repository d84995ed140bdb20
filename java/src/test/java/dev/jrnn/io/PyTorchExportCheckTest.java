package dev.jrnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.jrnn.backend.Activation;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Bidirectional.Merge;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Masking;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch itself loads jrnn's exports of bidirectional and variable-length models
 * ({@code scripts/check_pytorch_export.py --export --cases}) and gives jrnn's probabilities: into
 * {@code nn.LSTM/nn.GRU(bidirectional=True)}, sequences packed with {@code pack_padded_sequence}.
 * Skipped, saying so, where {@code /usr/bin/python3} cannot import torch.
 */
class PyTorchExportCheckTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of(System.getProperty("user.dir")).resolveSibling("scripts")
            .resolve("check_pytorch_export.py");
    @TempDir
    Path dir;

    private static boolean torch() {
        if (!Files.isExecutable(PYTHON) || !Files.exists(SCRIPT)) return false;
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, numpy").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void pytorchGivesJrnnsProbabilities() throws Exception {
        assumeTrue(torch(), "skipped: " + PYTHON + " cannot import torch and numpy (Debian: python3-torch), or "
                + SCRIPT + " is missing");
        int T = 7, F = 3, N = 5;
        int[] lengths = {7, 1, 4, 2, 6};
        check("fixed", Sequential.builder().input(T, F).add(new GRU(4, Activation.TANH, true)).add(new GRU(4))
                .add(new Dense(3, Activation.SOFTMAX)).build(), null, false);
        check("concat", Sequential.builder().input(T, F).add(new Bidirectional(new LSTM(5, Activation.TANH, true)))
                .add(new Bidirectional(new LSTM(5))).add(new Dense(3, Activation.SOFTMAX)).build(), lengths, false);
        check("sum-masked", Sequential.builder().input(T, F).add(new Masking())
                .add(new Bidirectional(new GRU(4, Activation.TANH, true), Merge.SUM)).add(new Dropout(0.5))
                .add(new GRU(4)).add(new Dense(3, Activation.SOFTMAX)).build(), lengths, true);
        check("unidirectional", Sequential.builder().input(T, F).add(new LSTM(6, Activation.TANH, true)).add(new LSTM(6))
                .add(new Dense(4, Activation.RELU)).add(new Dense(3, Activation.SOFTMAX)).build(), lengths, false);
        check("full-length", Sequential.builder().input(T, F).add(new Bidirectional(new GRU(4), Merge.SUM))
                .add(new Dense(3, Activation.SOFTMAX)).build(), null, false);
        assertEquals(N, lengths.length);
    }

    /** Exports {@code m} with random weights, predicts with jrnn and runs the script on both. */
    private void check(String name, Sequential m, int[] lengths, boolean zeroPadding) throws Exception {
        int T = m.inputShape().dim(0), F = m.inputShape().dim(1), N = lengths == null ? 3 : lengths.length;
        SplittableRandom r = new SplittableRandom(name.hashCode());
        float[] x = new float[N * T * F];
        for (int i = 0; i < N; i++) {
            for (int t = 0; t < T; t++) {
                boolean pad = lengths != null && t >= lengths[i];
                for (int f = 0; f < F; f++) x[(i * T + t) * F + f] = pad && zeroPadding ? 0f : (float) (r.nextDouble() * 2 - 1);
            }
        }
        float[] params = CheckpointTest.random(m.paramCount(), 3);
        for (int i = 0; i < params.length; i++) params[i] *= 0.5f;
        float[] probs;
        try (var be = new ReferenceBackend(); Trainer t = new Trainer(m, be, TrainConfig.defaults())) {
            t.network().setParameters(params);
            // NB: a masked model finds its lengths in the zero padding; the script's Masking does the same
            probs = t.predict(x, zeroPadding ? null : lengths, N);
        }
        Path export = dir.resolve(name + ".safetensors"), cases = dir.resolve(name + ".json");
        PyTorchWeights.save(new Checkpoint(m, params, null), export);
        JsonObject c = new JsonObject();
        JsonArray xs = new JsonArray();
        for (int i = 0; i < N; i++) {
            JsonArray sample = new JsonArray();
            for (int t = 0; t < T; t++) {
                JsonArray step = new JsonArray();
                for (int f = 0; f < F; f++) step.add(x[(i * T + t) * F + f]);
                sample.add(step);
            }
            xs.add(sample);
        }
        c.add("x", xs);
        if (lengths != null && !zeroPadding) {
            JsonArray ls = new JsonArray();
            for (int l : lengths) ls.add(l);
            c.add("lengths", ls);
        }
        JsonArray ps = new JsonArray();
        int classes = probs.length / N;
        for (int i = 0; i < N; i++) {
            JsonArray row = new JsonArray();
            for (int k = 0; k < classes; k++) row.add(probs[i * classes + k]);
            ps.add(row);
        }
        c.add("probabilities", ps);
        Files.writeString(cases, c.toString(), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString(), "--export", export.toString(), "--cases",
                cases.toString(), "--tolerance", "2e-5").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), name + ": " + out);
    }
}
