package dev.jrnn.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.RnnSpec.Cell;
import org.junit.jupiter.api.Test;

/** Parameter counts and layouts of bidirectional layers, and the per-sample lengths check. */
class RnnSpecTest {

    @Test
    void bidirectionalCountsMatchKerasAndPyTorch() {
        // Keras: Bidirectional(LSTM(32)) on 28 features has 2 * 4*32*(28+32+1) = 15,616 parameters
        RnnSpec lstm = new RnnSpec(Cell.LSTM, 28, 32, Activation.TANH, 1, true);
        assertEquals(15_616, lstm.paramCount());
        assertEquals(2, lstm.directions());
        assertEquals(64, lstm.outputSize());
        assertEquals(7_808, lstm.directionOffset(1));
        assertEquals(new RnnSpec(Cell.LSTM, 28, 32, Activation.TANH), lstm.unidirectional());
        // PyTorch GRU(28, 16, num_layers=2, bidirectional=True): layer 0 reads 28 features, layer 1 reads 32;
        // two biases per direction (Keras reset_after=True has the same 2 x 3H)
        RnnSpec gru = new RnnSpec(Cell.GRU, 28, 16, Activation.TANH, 2, true);
        int layer0 = 2 * (48 * 28 + 48 * 16 + 2 * 48), layer1 = 2 * (48 * 32 + 48 * 16 + 2 * 48);
        assertEquals(layer0 + layer1, gru.paramCount());
        assertEquals(layer0, gru.layerOffset(1));
        assertEquals(32, gru.layer(1).inputSize());
        assertTrue(gru.layer(1).bidirectional());
        assertEquals(4, gru.stateLayers());
        assertThrows(IllegalStateException.class, gru::unidirectional);
        assertThrows(IndexOutOfBoundsException.class, () -> lstm.unidirectional().directionOffset(1));
        RnnSpec uni = new RnnSpec(Cell.GRU, 28, 16, Activation.TANH, 2);
        assertFalse(uni.bidirectional());
        assertSame(uni, uni.unidirectional());
        assertEquals(2, uni.stateLayers());
    }

    @Test
    void forwardCheckSizesYAndStatesForBothDirections() {
        RnnSpec spec = new RnnSpec(Cell.LSTM, 3, 4, Activation.TANH, 2, true);
        int B = 2, T = 5;
        Tensor x = sized(B * T * 3), params = sized(spec.paramCount()), y = sized(B * T * 8), state = sized(4 * B * 4);
        spec.checkForward("op", B, T, new int[] {5, 1}, x, RnnState.of(state, state), params, y, RnnState.of(state));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> spec.checkForward("op", B, T, null, x, RnnState.NONE, params, sized(B * T * 4), RnnState.NONE));
        assertTrue(e.getMessage().contains("y (B, T, 2H)") && e.getMessage().contains("needs 80 elements, found 40"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> spec.checkForward("op", B, T, null, x, RnnState.of(sized(2 * B * 4)), params, y, RnnState.NONE));
        assertTrue(e.getMessage().contains("hx (layers * 2, B, H)"), e.getMessage());
    }

    @Test
    void lengthsMustBeOnePerSequenceWithinOneToT() {
        RnnSpec.checkLengths("op", 3, 4, null);
        RnnSpec.checkLengths("op", 3, 4, new int[] {1, 4, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RnnSpec.checkLengths("rnnForward", 3, 4, new int[] {1, 2}));
        assertTrue(e.getMessage().contains("expected B = 3, found 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RnnSpec.checkLengths("rnnForward", 3, 4, new int[] {1, 5, 2}));
        assertTrue(e.getMessage().contains("sequence 1 has length 5, expected 1 to T = 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RnnSpec.checkLengths("rnnForward", 3, 4, new int[] {0, 4, 2}));
        assertTrue(e.getMessage().contains("sequence 0 has length 0"), e.getMessage());
        assertTrue(RnnSpec.fullLength(null, 4));
        assertTrue(RnnSpec.fullLength(new int[] {4, 4}, 4));
        assertFalse(RnnSpec.fullLength(new int[] {4, 3}, 4));
    }

    @Test
    void aTraceCopiesItsLengthsAndForgetsFullOnes() {
        RnnSpec spec = new RnnSpec(Cell.GRU, 2, 3, Activation.TANH);
        int[] lengths = {2, 1};
        AbstractRnnTrace t = new AbstractRnnTrace(spec, 2, 2, lengths) {
            @Override
            protected void release() {}
        };
        lengths[0] = 1;
        assertEquals(2, t.lengths()[0], "copied when made");
        t.lengths()[1] = 2;
        assertEquals(1, t.lengths()[1], "copied when read");
        assertNull(new AbstractRnnTrace(spec, 2, 2, new int[] {2, 2}) {
            @Override
            protected void release() {}
        }.lengths());
    }

    private static Tensor sized(int n) {
        return new Tensor() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Tensor slice(int offset, int length) {
                throw new UnsupportedOperationException();
            }
        };
    }
}
