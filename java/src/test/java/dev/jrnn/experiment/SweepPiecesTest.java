package dev.jrnn.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec.Cell;
import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Dataset;
import dev.jrnn.data.Preprocess;
import dev.jrnn.train.EpochRecord;
import dev.jrnn.train.Evaluation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SweepPiecesTest {

    @Test
    void modelNamesRoundTripAndMatchShortNames() {
        assertEquals(List.of("lstm32", "lstm64", "gru32", "gru64", "lstm32x4", "gru32x4"),
                ModelName.NOTEBOOK.stream().map(ModelName::toString).toList());
        ModelName m = ModelName.parse(" GRU32x4 ");
        assertEquals(new ModelName(Cell.GRU, 32, 4), m);
        assertEquals("32x4", m.size());
        assertEquals("gru32x4", m.build(Activation.TANH, 0.2, 28, 28, 10).shortName());
        assertEquals("lstm32", ModelName.parse("lstm32x1").toString());
        assertEquals(2, ModelName.parseList("lstm32,gru32,lstm32x1").size(), "repeats dropped");
        // Keras' counts, as the notebook's summaries: LSTM(32) 7,808 + Dense(64) 2,112 + Dense(10) 650.
        assertEquals(7_808 + 2_112 + 650, ModelName.parse("lstm32").build(Activation.TANH, 0.2, 28, 28, 10).paramCount());
        for (String bad : List.of("rnn32", "lstm", "lstm0", "gru32x0", "lstm32x", "lstm-32")) {
            assertThrows(IllegalArgumentException.class, () -> ModelName.parse(bad), bad);
        }
    }

    @Test
    void sweepConfigJsonRoundTrip() {
        SweepConfig c = new SweepConfig(ModelName.parseList("lstm8,gru16x2"), 7, Activation.RELU, 0.3, 64, 2e-3f,
                new DataSelection("fashion-mnist", 1000, 0.1, Preprocess.binarize(0.2f)), List.of(3L, 4L), "cpu", 2);
        assertEquals(c, SweepConfig.fromJson(c.toJson()));
        assertEquals(3L, c.trainConfig(3).seed());
        assertEquals(64, c.trainConfig(3).batchSize());
        assertTrue(!c.toJson().has("bucketing") && !c.toJson().has("bidirectional"), "earlier sweeps' JSON unchanged: " + c.toJson());
        SweepConfig bi = new SweepConfig(c.models(), 7, Activation.TANH, 0.2, 64, 1e-3f, new DataSelection("fashion-mnist-trimmed", 0, 0,
                Preprocess.SCALE), List.of(1L), "cpu", 2, true, dev.jrnn.nn.Bidirectional.Merge.SUM);
        assertEquals(bi, SweepConfig.fromJson(bi.toJson()));
        assertTrue(bi.trainConfig(1).bucketing());
        assertEquals("bilstm8", bi.build(ModelName.parse("lstm8"), 28, 28, 10).shortName());
        assertEquals(2 * 4 * (8 * (28 + 8) + 8) + 64 * 8 + 64 + 650, bi.build(ModelName.parse("lstm8"), 28, 28, 10).paramCount());
        var e = assertThrows(IllegalArgumentException.class, () -> SweepConfig.fromJson(new com.google.gson.JsonObject()));
        assertTrue(e.getMessage().contains("jrnn.sweep"), e.getMessage());
    }

    private static RunResult run(String model, long seed, double testAcc, double trainAcc, double... seconds) {
        List<EpochRecord> h = new ArrayList<>();
        for (int i = 0; i < seconds.length; i++) h.add(new EpochRecord(i + 1, 1, trainAcc, 1, testAcc, seconds[i], 100 / seconds[i]));
        return new RunResult(ModelName.parse(model), seed, 10, h, new Evaluation(0.5, testAcc, 100, 0.1), Path.of("x"));
    }

    @Test
    void rowsAverageSeedsWithSampleStdAndMedianEpochTimes() {
        SweepConfig c = new SweepConfig(ModelName.parseList("lstm8,gru8"), 3, Activation.TANH, 0.2, 32, 1e-3f,
                new DataSelection("mnist", 0, 0, Preprocess.SCALE), List.of(1L, 2L), "cpu", 0);
        var data = new DataSelection.Splits(new Dataset("t", new float[8], new int[4], 2, 1, 10), null,
                new Dataset("t", new float[4], new int[2], 2, 1, 10));
        SweepReport report = new SweepReport(c, Path.of("out"), data, "test machine");
        List<RunResult> rs = List.of(run("lstm8", 1, 0.80, 0.90, 9, 2, 4), run("lstm8", 2, 0.90, 0.95, 9, 2, 2),
                run("gru8", 1, 0.85, 0.85, 5, 1, 1));
        List<SweepReport.Row> rows = report.rows(rs);
        SweepReport.Row lstm = rows.get(0), gru = rows.get(1);
        assertEquals(0.85, lstm.testAccuracy().mean(), 1e-12);
        assertEquals(Math.sqrt(0.005), lstm.testAccuracy().std(), 1e-12, "sample std, n - 1");
        assertEquals(3.0, lstm.secondsPerEpoch().mean(), 1e-12, "medians 4 and 2");
        assertEquals(0.075, lstm.gap().mean(), 1e-12);
        assertTrue(Double.isNaN(gru.testAccuracy().std()), "one run: no std");
        String md = report.markdown(rs);
        assertTrue(md.contains("| lstm8 | 10 | 0.5000 ± 0.0000 | 0.8500 ± 0.0707 |"), md);
        assertTrue(md.contains("gru8 vs lstm8: GRU 3.00x as fast per epoch (1.0 s vs 3.0 s)"), md);
        assertTrue(md.contains("Machine: test machine"), md);
    }
}
