package dev.jrnn.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.nn.Bidirectional.Merge;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Issue 16's layers: {@link Bidirectional} (Keras' shapes and parameter counts) and {@link Masking}. */
class SequenceLayersTest {

    @Test
    void bidirectionalHasKerasParameterCountsAndShapes() {
        // Keras: Bidirectional(LSTM(32)) on (28, 28): 15,616 parameters, output (None, 64)
        Sequential m = Sequential.builder().input(28, 28).add(new Bidirectional(new LSTM(32)))
                .add(new Dense(10, Activation.SOFTMAX)).build();
        assertEquals(15_616, m.paramCount(0));
        assertEquals(new Shape(64), m.outputShape(0));
        assertEquals(15_616 + 650, m.paramCount());
        // GRU, reset_after: 2 * 3H(F + H + 2) = 2 * 96 * 62
        Sequential g = Sequential.builder().input(28, 28).add(new Bidirectional(new GRU(32))).build();
        assertEquals(11_904, g.paramCount());
        // keras.io's bidirectional_lstm_imdb: Bidirectional(LSTM(64, return_sequences=True)) then
        // Bidirectional(LSTM(64)) on 128-wide embeddings: 98,816 each, outputs (None, 200, 128) and (None, 128)
        Sequential imdb = Sequential.builder().input(200, 128)
                .add(new Bidirectional(new LSTM(64, Activation.TANH, true)))
                .add(new Bidirectional(new LSTM(64))).add(new Dense(1, Activation.SIGMOID)).build();
        assertEquals(98_816, imdb.paramCount(0));
        assertEquals(98_816, imdb.paramCount(1));
        assertEquals(new Shape(200, 128), imdb.outputShape(0));
        assertEquals(new Shape(128), imdb.outputShape(1));
        assertEquals(98_816 * 2 + 129, imdb.paramCount());
        // SUM keeps H features
        Sequential sum = Sequential.builder().input(10, 3)
                .add(new Bidirectional(new GRU(8, Activation.TANH, true), Merge.SUM)).build();
        assertEquals(new Shape(10, 8), sum.outputShape(0));
        assertEquals(2 * 3 * 8 * (3 + 8 + 2), sum.paramCount());
    }

    @Test
    void theNotebookModelWrapsItsRecurrentLayers() {
        Sequential m = Sequential.notebook(RnnSpec.Cell.LSTM, 32, 2, Activation.TANH, 0.2, 28, 28, 10, Merge.CONCAT);
        assertEquals("bilstm32x2", m.shortName());
        assertEquals(15_616, m.paramCount(0));
        assertEquals(2 * 4 * 32 * (64 + 32 + 1), m.paramCount(1));
        assertEquals(new Shape(64), m.outputShape(1));
        assertEquals(64 * 64 + 64, m.paramCount(3), "Dense(64) reads 2H");
        Sequential sum = Sequential.notebook(RnnSpec.Cell.GRU, 16, 1, Activation.TANH, 0.2, 28, 28, 10, Merge.SUM);
        assertEquals(new Shape(16), sum.outputShape(0));
        assertEquals(Sequential.notebook(RnnSpec.Cell.GRU, 16, 3, Activation.TANH, 0.2, 28, 28, 10).toString(),
                Sequential.notebook(RnnSpec.Cell.GRU, 16, 3, Activation.TANH, 0.2, 28, 28, 10, null).toString());
    }

    @Test
    void bidirectionalSpecMatchesTheBackendLayout() {
        Bidirectional b = new Bidirectional(new LSTM(16, Activation.RELU, true));
        RnnSpec s = b.spec(5);
        assertTrue(s.bidirectional());
        assertEquals(1, s.layers());
        assertEquals(Activation.RELU, s.activation());
        assertEquals(s.paramCount(), b.paramCount(new Shape(7, 5)));
        assertEquals(32, s.outputSize());
    }

    @Test
    void summaryNamesAndToString() {
        Sequential m = Sequential.builder().input(12, 4).add(new Masking())
                .add(new Bidirectional(new LSTM(8, Activation.TANH, true)))
                .add(new Bidirectional(new GRU(8), Merge.SUM)).add(new Dense(3, Activation.SOFTMAX)).build();
        assertEquals(java.util.List.of("masking", "bidirectional", "bidirectional_1", "dense"), m.names());
        String s = m.summary();
        assertTrue(s.contains("masking (Masking)"), s);
        assertTrue(s.contains("bidirectional (Bidirectional)"), s);
        assertTrue(s.contains("bidirectional_1 (Bidirectional)"), s);
        assertTrue(s.contains("(None, 12, 16)"), s);
        assertTrue(s.contains("(None, 8)"), s);
        assertEquals("bilstm8x2", m.shortName());
        assertEquals("Bidirectional(LSTM(8, activation=tanh, returnSequences=true), merge=concat)", m.layers().get(1).toString());
        assertEquals(0, m.paramCount(0));
        assertSame(m.layers().get(0), m.masking());
        assertNull(Sequential.builder().input(3, 2).add(new LSTM(2)).build().masking());
    }

    @Test
    void concatLayersOfOneKindStackSumLayersDoNot() {
        Bidirectional a = new Bidirectional(new LSTM(8, Activation.TANH, true));
        assertTrue(new Bidirectional(new LSTM(8)).stacksOn(a));
        assertTrue(!new Bidirectional(new LSTM(8), Merge.SUM).stacksOn(a), "SUM above");
        assertTrue(!new Bidirectional(new LSTM(8)).stacksOn(new Bidirectional(new LSTM(8, Activation.TANH, true), Merge.SUM)),
                "SUM below");
        assertTrue(!new Bidirectional(new GRU(8)).stacksOn(a), "another cell");
        assertTrue(!new Bidirectional(new LSTM(4)).stacksOn(a), "another width");
        assertTrue(!new Bidirectional(new LSTM(8)).stacksOn(new Bidirectional(new LSTM(8))), "below returns no sequences");
    }

    @Test
    void aNanMaskMatchesNanPadding() {
        float nan = Float.NaN;
        // two samples of 4 steps x 2 features: NaN padding after 2 steps; a NaN inside the data is not padding
        float[] x = {1, 2, nan, 3, nan, nan, nan, nan,
                     1, 1, 2, 2, 3, 3, nan, nan};
        assertEquals(2, new Masking(nan).length(x, 0, 4, 2));
        assertEquals(3, new Masking(nan).length(x, 1, 4, 2));
        assertEquals(4, new Masking(0f).length(x, 0, 4, 2), "NaN is not 0");
    }

    @Test
    void maskingMustComeFirstAndTakesSequences() {
        var e = assertThrows(IllegalArgumentException.class, () -> Sequential.builder().input(5, 2)
                .add(new LSTM(4, Activation.TANH, true)).add(new Masking()).add(new LSTM(4)).build());
        assertTrue(e.getMessage().contains("layer 1 (masking)") && e.getMessage().contains("first"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder().input(5).add(new Masking()).build());
        assertThrows(NullPointerException.class, () -> new Bidirectional(null));
        assertThrows(NullPointerException.class, () -> new Bidirectional(new LSTM(2), null));
        assertEquals(Merge.SUM, Merge.parse(" Sum "));
        assertThrows(IllegalArgumentException.class, () -> Merge.parse("ave"));
    }

    @Test
    void maskingLengthIsOnePlusTheLastUnmaskedStep() {
        int T = 5, F = 2;
        float[] x = {
            1, 2, 3, 4, 0, 0, 0, 0, 0, 0,      // 2 steps
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0,      // all masked: at least 1
            0, 0, 5, 0, 0, 0, 0, 0, 0, 1,      // interior masked steps count as data: 5
            0, 7, 0, 0, -1, -1, -1, -1, -1, -1, // only value 0 masks, not -1: 5
        };
        Masking m = new Masking();
        assertArrayEquals(new int[] {2, 1, 5, 5}, m.lengths(x, 0, 4, T, F));
        assertEquals(2, new Masking(-1f).length(x, 3, T, F), "(0, 0) is data under mask -1");
        assertArrayEquals(new int[] {1, 5}, m.lengths(x, 1, 2, T, F));
    }

    @Test
    void eachDirectionIsInitialisedAsAUnidirectionalLayer() {
        int F = 3, H = 4;
        Sequential m = Sequential.builder().input(6, F).add(new Bidirectional(new LSTM(H, Activation.TANH, true)))
                .add(new Bidirectional(new LSTM(H))).build();
        float[] p = Initializers.initialParameters(m, 7L);
        RnnSpec stack = new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH, 2, true);
        assertEquals(stack.paramCount(), p.length);
        assertArrayEquals(p, Initializers.initialParameters(stack, 7L), "a stack's spec draws what the model's layers draw");
        RnnSpec one = stack.layer(0);
        int per = one.unidirectional().paramCount();
        float[] fwd = Arrays.copyOfRange(p, 0, per), rev = Arrays.copyOfRange(p, per, 2 * per);
        assertNotEquals(Arrays.toString(fwd), Arrays.toString(rev), "the directions have their own weights");
        for (int d = 0; d < 2; d++) {
            int bias = one.directionOffset(d) + one.unidirectional().offsetBias();
            for (int u = 0; u < H; u++) {
                assertEquals(0f, p[bias + u]);
                assertEquals(1f, p[bias + H + u], "LSTM forget-gate bias of direction " + d);
            }
        }
        // a unidirectional model draws as before bidirectional layers existed
        Sequential uni = Sequential.builder().input(6, F).add(new LSTM(H)).build();
        assertArrayEquals(Initializers.initialParameters(uni, 7L),
                Initializers.initialParameters(new RnnSpec(RnnSpec.Cell.LSTM, F, H, Activation.TANH), 7L));
    }
}
