package dev.jrnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec.Cell;
import dev.jrnn.cpu.ReferenceBackend;
import dev.jrnn.io.CheckpointFormatException.Problem;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PyTorchWeightsTest {
    @TempDir
    Path dir;

    private static Checkpoint weights(Sequential m, long seed) {
        return new Checkpoint(m, CheckpointTest.random(m.paramCount(), seed), null);
    }

    @Test
    void exportUsesPyTorchNamesAndImportRestoresEveryBit() throws IOException {
        for (Cell cell : Cell.values()) {
            Sequential m = Sequential.notebook(cell, 5, 3, Activation.TANH, 0.2, 4, 3, 6);
            Checkpoint c = weights(m, 11);
            Path f = dir.resolve(cell + ".safetensors");
            PyTorchWeights.save(c, f);
            SafeTensors.Contents t = SafeTensors.read(f);
            int g = cell.gates();
            String p = cell == Cell.LSTM ? "lstm" : "gru";
            assertEquals("pt", t.metadata().get("format"));
            assertArrayEquals(new int[] {g * 5, 3}, t.tensors().get(p + ".weight_ih_l0").shape());
            assertArrayEquals(new int[] {g * 5, 5}, t.tensors().get(p + ".weight_ih_l2").shape());
            assertArrayEquals(new int[] {g * 5, 5}, t.tensors().get(p + ".weight_hh_l1").shape());
            assertArrayEquals(new int[] {64, 5}, t.tensors().get("dense.weight").shape());
            assertArrayEquals(new int[] {6}, t.tensors().get("dense_1.bias").shape());
            assertEquals(3 * 4 + 2 * 2, t.tensors().size(), "tensors: " + t.tensors().keySet());
            // Layer 1's biases sit after W (G*H, H) and R (G*H, H) in jrnn's buffer.
            int l1 = m.paramOffset(1), bias = l1 + g * 5 * 5 * 2;
            float[] ih = t.tensors().get(p + ".bias_ih_l1").data(), hh = t.tensors().get(p + ".bias_hh_l1").data();
            for (int i = 0; i < g * 5; i++) {
                assertEquals(c.params()[bias + i], ih[i]);
                assertEquals(cell == Cell.LSTM ? 0f : c.params()[bias + g * 5 + i], hh[i], "bias_hh " + i);
            }
            JsonArray modules = JsonParser.parseString(t.metadata().get("modules")).getAsJsonArray();
            assertEquals(3, modules.get(0).getAsJsonObject().get("num_layers").getAsInt());
            assertEquals(cell == Cell.LSTM ? "LSTM" : "GRU", modules.get(0).getAsJsonObject().get("type").getAsString());

            Checkpoint back = PyTorchWeights.load(f, 99, Activation.RELU, 0.5);   // metadata wins over these
            assertEquals(ModelJson.toJson(m), ModelJson.toJson(back.model()));
            assertArrayEquals(c.params(), back.params());
        }
    }

    @Test
    void importsForeignNamesAndAddsLstmBiases() throws IOException {
        Sequential m = Sequential.notebook(Cell.LSTM, 4, 2, Activation.TANH, 0.2, 7, 3, 5);
        Checkpoint c = weights(m, 3);
        Path exported = dir.resolve("e.safetensors");
        PyTorchWeights.save(c, exported);
        // Rename as a hand-written PyTorch module would (rnn, fc1, fc2), drop the metadata and
        // give bias_hh values: the import must infer the model and add the biases.
        List<SafeTensors.Tensor> foreign = new ArrayList<>();
        float[] hh0 = CheckpointTest.random(16, 8);
        for (SafeTensors.Tensor t : SafeTensors.read(exported).tensors().values()) {
            String n = t.name().replace("lstm.", "rnn.").replace("dense_1.", "fc2.").replace("dense.", "fc1.");
            foreign.add(new SafeTensors.Tensor(n, t.shape(), n.equals("rnn.bias_hh_l0") ? hh0 : t.data()));
        }
        java.util.Collections.reverse(foreign);
        Path f = dir.resolve("foreign.safetensors");
        SafeTensors.write(f, Map.of(), foreign);
        Checkpoint r = PyTorchWeights.load(f, 7, Activation.TANH, 0.2);
        assertEquals(ModelJson.toJson(m), ModelJson.toJson(r.model()));
        int b0 = m.paramOffset(0) + 16 * 3 + 16 * 4;
        for (int i = 0; i < r.params().length; i++) {
            float want = i >= b0 && i < b0 + 16 ? c.params()[i] + hh0[i - b0] : c.params()[i];
            assertEquals(want, r.params()[i], "parameter " + i);
        }
    }

    @Test
    void importedWeightsPredictLikeTheOriginal() throws IOException {
        Sequential m = Sequential.notebook(Cell.GRU, 6, 1, Activation.TANH, 0.2, 5, 4, 3);
        Checkpoint c = weights(m, 4);
        Path f = dir.resolve("g.safetensors");
        PyTorchWeights.save(c, f);
        Checkpoint r = PyTorchWeights.load(f, 5, Activation.TANH, 0.2);
        float[] x = CheckpointTest.random(2 * 5 * 4, 9);
        try (Trainer a = new Trainer(m, new ReferenceBackend(), TrainConfig.defaults());
             Trainer b = new Trainer(r.model(), new ReferenceBackend(), TrainConfig.defaults())) {
            a.network().setParameters(c.params());
            b.network().setParameters(r.params());
            assertArrayEquals(a.predict(x, 2), b.predict(x, 2));
        }
    }

    @Test
    void importErrorsNameWhatIsWrong() throws IOException {
        Path f = dir.resolve("bad.safetensors");
        SafeTensors.write(f, Map.of(), List.of(new SafeTensors.Tensor("fc.weight", new int[] {2, 2}, new float[4])));
        var e = assertThrows(CheckpointFormatException.class, () -> PyTorchWeights.load(f, 28, Activation.TANH, 0.2));
        assertTrue(e.getMessage().contains("one recurrent module"), e.getMessage());

        Sequential m = Sequential.notebook(Cell.GRU, 4, 1, Activation.TANH, 0.2, 5, 3, 2);
        Path g = dir.resolve("g.safetensors");
        PyTorchWeights.save(weights(m, 1), g);
        List<SafeTensors.Tensor> ts = new ArrayList<>(SafeTensors.read(g).tensors().values());
        ts.set(0, new SafeTensors.Tensor(ts.get(0).name(), new int[] {12, 2}, new float[24]));
        SafeTensors.write(g, SafeTensors.read(g).metadata(), ts);
        var e2 = assertThrows(CheckpointFormatException.class, () -> PyTorchWeights.load(g, 5, Activation.TANH, 0.2));
        assertEquals(Problem.WRONG_SHAPE, e2.problem());
        assertTrue(e2.getMessage().contains("gru.weight_ih_l0: expected shape [12, 3], found [12, 2]"), e2.getMessage());
    }
}
