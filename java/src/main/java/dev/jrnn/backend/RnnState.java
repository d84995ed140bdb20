package dev.jrnn.backend;

/**
 * The recurrent state of a layer or stack at one end of a sequence (cuDNN's {@code hx}/{@code cx},
 * {@code hy}/{@code cy}, or their gradients): the hidden state {@code h} and, for an LSTM, the
 * cell state {@code c}, each {@code (layers, B, H)} (layer {@code l}'s {@code (B, H)} slice at
 * float {@code l * B * H}). Either may be {@code null}: zeros for an input, not written for an
 * output. A GRU has no cell state, so its {@code c} must be {@code null}.
 *
 * @param h the hidden state (layers, B, H), or {@code null}
 * @param c the cell state (layers, B, H) (LSTM only), or {@code null}
 */
public record RnnState(Tensor h, Tensor c) {

    /** No state: zeros as an input, nothing written as an output. */
    public static final RnnState NONE = new RnnState(null, null);

    /**
     * A hidden state alone (a GRU's state, or an LSTM's with a zero or unwanted cell state).
     *
     * @param h the hidden state (layers, B, H), or {@code null}
     * @return the state
     */
    public static RnnState of(Tensor h) {
        return h == null ? NONE : new RnnState(h, null);
    }

    /**
     * Hidden and cell state.
     *
     * @param h the hidden state (layers, B, H), or {@code null}
     * @param c the cell state (layers, B, H), or {@code null}
     * @return the state
     */
    public static RnnState of(Tensor h, Tensor c) {
        return h == null && c == null ? NONE : new RnnState(h, c);
    }

    /**
     * The state a backend works with for an argument that may be {@code null}.
     *
     * @param s a state, or {@code null}
     * @return {@code s}, or {@link #NONE} for {@code null}
     */
    public static RnnState orNone(RnnState s) {
        return s == null ? NONE : s;
    }
}
