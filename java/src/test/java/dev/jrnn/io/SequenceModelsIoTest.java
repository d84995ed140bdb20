package dev.jrnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jrnn.backend.Activation;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16's layers in model JSON, checkpoints and PyTorch exports. */
class SequenceModelsIoTest {
    @TempDir
    Path dir;

    /** Masking, a bidirectional CONCAT stack of two LSTM layers, a SUM GRU layer, Dense. */
    static Sequential model() {
        return Sequential.builder().input(7, 3).add(new Masking(-1f))
                .add(new Bidirectional(new LSTM(4, Activation.TANH, true)))
                .add(new Bidirectional(new LSTM(4, Activation.TANH, true)))
                .add(new Dropout(0.1))
                .add(new Bidirectional(new GRU(5, Activation.RELU, false), Merge.SUM))
                .add(new Dense(3, Activation.SOFTMAX)).build();
    }

    @Test
    void modelJsonRoundTripsBidirectionalAndMasking() {
        Sequential m = model();
        JsonObject j = ModelJson.toJson(m);
        JsonObject bi = j.getAsJsonArray("layers").get(1).getAsJsonObject();
        assertEquals("bidirectional", bi.get("type").getAsString());
        assertEquals("concat", bi.get("merge").getAsString());
        assertEquals("lstm", bi.getAsJsonObject("layer").get("type").getAsString());
        assertEquals(-1f, j.getAsJsonArray("layers").get(0).getAsJsonObject().get("mask_value").getAsFloat());
        Sequential back = ModelJson.fromJson(j);
        assertEquals(j, ModelJson.toJson(back));
        assertEquals(m.toString(), back.toString());
        assertEquals(m.paramCount(), back.paramCount());
        JsonObject bad = j.deepCopy();
        bad.getAsJsonArray("layers").get(1).getAsJsonObject().add("layer", JsonParser.parseString("{\"type\": \"dense\", "
                + "\"units\": 2, \"activation\": \"relu\"}"));
        var e = assertThrows(IllegalArgumentException.class, () -> ModelJson.fromJson(bad));
        assertTrue(e.getMessage().contains("layer 1") && e.getMessage().contains("wraps an lstm or gru"), e.getMessage());
    }

    @Test
    void checkpointsKeepTheLayersAndTheBucketingSetting() throws IOException {
        Sequential m = model();
        TrainConfig cfg = TrainConfig.defaults().withBucketing(true);
        Trainer.State s = new Trainer.State(CheckpointTest.random(m.paramCount(), 1), new float[m.paramCount()],
                new float[m.paramCount()], 3, 1);
        Path f = dir.resolve("c.safetensors");
        Checkpoint.capture(m, cfg, s, 2, CheckpointTest.DATA, "cpu", List.of(), null).save(f);
        Checkpoint c = Checkpoint.load(f);
        assertTrue(SafeTensors.read(f).tensors().containsKey("bidirectional_1.backward.R"));
        assertTrue(SafeTensors.read(f).tensors().containsKey("bidirectional_2.forward.bR"));
        int covered = 0;
        for (TensorLayout.Entry e : TensorLayout.of(m)) covered += e.size();
        assertEquals(m.paramCount(), covered, "the named tensors tile the whole buffer");
        assertEquals(m.toString(), c.model().toString());
        assertArrayEquals(s.params(), c.params());
        assertTrue(c.training().config().bucketing());
        assertEquals(cfg, c.training().config());
        assertFalse(Checkpoint.config(Checkpoint.configJson(TrainConfig.defaults())).bucketing());
        assertFalse(Checkpoint.configJson(TrainConfig.defaults()).has("bucketing"), "written only when on");
    }

    @Test
    void bidirectionalLayersExportUnderPyTorchNamesAndImportEveryBit() throws IOException {
        Sequential m = model();
        Checkpoint c = new Checkpoint(m, CheckpointTest.random(m.paramCount(), 5), null);
        Path f = dir.resolve("bi.safetensors");
        PyTorchWeights.save(c, f);
        SafeTensors.Contents t = SafeTensors.read(f);
        // the CONCAT stack is one module, num_layers 2; its layer 1 reads 2H = 8 features
        assertArrayEquals(new int[] {16, 3}, t.tensors().get("bidirectional.weight_ih_l0").shape());
        assertArrayEquals(new int[] {16, 3}, t.tensors().get("bidirectional.weight_ih_l0_reverse").shape());
        assertArrayEquals(new int[] {16, 8}, t.tensors().get("bidirectional.weight_ih_l1_reverse").shape());
        assertArrayEquals(new int[] {16, 4}, t.tensors().get("bidirectional.weight_hh_l1").shape());
        assertArrayEquals(new int[] {15, 8}, t.tensors().get("bidirectional_2.weight_ih_l0").shape());
        assertArrayEquals(new int[] {15}, t.tensors().get("bidirectional_2.bias_hh_l0_reverse").shape());
        assertEquals(2 * 2 * 4 + 2 * 4 + 2, t.tensors().size(), "tensors: " + t.tensors().keySet());
        // the reverse direction's block follows the forward one's: W, R, b; LSTM bias_hh is 0
        int l0 = m.paramOffset(1), per = 16 * 3 + 16 * 4 + 16;
        assertArrayEquals(java.util.Arrays.copyOfRange(c.params(), l0 + per, l0 + per + 48),
                t.tensors().get("bidirectional.weight_ih_l0_reverse").data());
        assertArrayEquals(java.util.Arrays.copyOfRange(c.params(), l0 + per + 48 + 64, l0 + 2 * per),
                t.tensors().get("bidirectional.bias_ih_l0_reverse").data());
        assertArrayEquals(new float[16], t.tensors().get("bidirectional.bias_hh_l0_reverse").data());
        // GRU (SUM): its own module, bias_hh is bR
        int g = m.paramOffset(4), gper = 15 * 8 + 15 * 5 + 30;
        assertArrayEquals(java.util.Arrays.copyOfRange(c.params(), g + gper + 15 * 8 + 15 * 5 + 15, g + 2 * gper),
                t.tensors().get("bidirectional_2.bias_hh_l0_reverse").data());

        JsonArray modules = JsonParser.parseString(t.metadata().get("modules")).getAsJsonArray();
        assertEquals("Masking", modules.get(0).getAsJsonObject().get("type").getAsString());
        JsonObject lstm = modules.get(1).getAsJsonObject();
        assertEquals(2, lstm.get("num_layers").getAsInt());
        assertTrue(lstm.get("bidirectional").getAsBoolean());
        assertEquals("concat", lstm.get("merge").getAsString());
        JsonObject gru = modules.get(3).getAsJsonObject();
        assertEquals("sum", gru.get("merge").getAsString());
        assertFalse(gru.get("return_sequences").getAsBoolean());

        Checkpoint back = PyTorchWeights.load(f, 99, Activation.TANH, 0.5);
        assertEquals(ModelJson.toJson(m), ModelJson.toJson(back.model()));
        assertArrayEquals(c.params(), back.params());
    }

    @Test
    void aForeignBidirectionalModuleIsInferred() throws IOException {
        Sequential m = Sequential.builder().input(6, 3).add(new Bidirectional(new LSTM(4, Activation.TANH, true)))
                .add(new Bidirectional(new LSTM(4))).add(new Dropout(0.2)).add(new Dense(5, Activation.SOFTMAX)).build();
        Checkpoint c = new Checkpoint(m, CheckpointTest.random(m.paramCount(), 9), null);
        Path exported = dir.resolve("e.safetensors");
        PyTorchWeights.save(c, exported);
        List<SafeTensors.Tensor> foreign = new ArrayList<>();
        for (SafeTensors.Tensor t : SafeTensors.read(exported).tensors().values()) {
            foreign.add(new SafeTensors.Tensor(t.name().replace("bidirectional.", "rnn.").replace("dense.", "fc."), t.shape(), t.data()));
        }
        Path f = dir.resolve("foreign.safetensors");
        SafeTensors.write(f, java.util.Map.of("format", "pt"), foreign);
        Checkpoint back = PyTorchWeights.load(f, 6, Activation.TANH, 0.2);
        assertEquals(ModelJson.toJson(m), ModelJson.toJson(back.model()));
        assertArrayEquals(c.params(), back.params());
    }
}
