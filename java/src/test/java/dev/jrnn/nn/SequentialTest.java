package dev.jrnn.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec.Cell;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SequentialTest {

    /** Keras' counts, as printed by the seed notebook's model.summary(). */
    @ParameterizedTest(name = "{0}{1}x{2} = {3}")
    @CsvSource({"LSTM, 32, 1, 10570", "LSTM, 64, 1, 28618", "GRU, 32, 1, 8714", "GRU, 64, 1, 22858",
            "LSTM, 32, 4, 35530", "GRU, 32, 4, 27722"})
    void notebookModelsHaveKerasParameterCounts(Cell cell, int units, int layers, int expected) {
        Sequential m = Sequential.notebook(cell, units, layers, Activation.TANH, 0.2, 28, 28, 10);
        assertEquals(expected, m.paramCount());
        assertTrue(m.summary().contains(String.format(java.util.Locale.ROOT, "Total params: %,d", expected)), m.summary());
    }

    @Test
    void summaryListsLayersWithKerasNamesAndShapes() {
        String s = Sequential.notebook(Cell.LSTM, 32, 2, Activation.TANH, 0.2, 28, 28, 10).summary();
        assertTrue(s.contains("lstm (LSTM)"), s);
        assertTrue(s.contains("lstm_1 (LSTM)"), s);
        assertTrue(s.contains("(None, 28, 32)"), s);
        assertTrue(s.contains("dropout_1 (Dropout)"), s);
        assertTrue(s.contains("dense_1 (Dense)"), s);
        assertTrue(s.contains("(None, 10)"), s);
        assertTrue(s.contains("7808"), s);
    }

    @Test
    void stackingWithoutReturnSequencesNamesLayerAndShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Sequential.builder().input(28, 28).add(new LSTM(32)).add(new GRU(16)).build());
        assertTrue(e.getMessage().contains("layer 1 (gru)"), e.getMessage());
        assertTrue(e.getMessage().contains("(timesteps, features)"), e.getMessage());
        assertTrue(e.getMessage().contains("(32)"), e.getMessage());
        assertTrue(e.getMessage().contains("returnSequences(true)"), e.getMessage());
    }

    @Test
    void denseOnSequenceIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> Sequential.builder().input(28, 28)
                .add(new LSTM(8, Activation.TANH, true)).add(new Dense(10, Activation.SOFTMAX)).build());
        assertTrue(e.getMessage().contains("(28, 8)"), e.getMessage());
    }

    @Test
    void softmaxOnlyLast() {
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder().input(4, 4).add(new LSTM(8))
                .add(new Dense(10, Activation.SOFTMAX)).add(new Dense(10)).build());
    }

    @Test
    void missingInputAndBadHyperParameters() {
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder().add(new LSTM(8)).build());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0));
        assertThrows(IllegalArgumentException.class, () -> new GRU(0));
        assertThrows(IllegalArgumentException.class, () -> new LSTM(4, Activation.SIGMOID, false));
    }
}
