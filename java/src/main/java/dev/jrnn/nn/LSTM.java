package dev.jrnn.nn;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;

/**
 * Long short-term memory layer, gate order i, f, g, o; one bias per gate as Keras.
 *
 * <pre>
 *   i = sigmoid(W_i x + R_i h + b_i)   f = sigmoid(W_f x + R_f h + b_f)
 *   g = act(W_g x + R_g h + b_g)       o = sigmoid(W_o x + R_o h + b_o)
 *   c' = f * c + i * g                 h' = o * act(c')
 * </pre>
 * Initialised as Keras: Glorot-uniform W, orthogonal R, zero bias with the forget-gate bias 1.
 */
public final class LSTM extends Recurrent {

    /**
     * Creates an LSTM with tanh activation that outputs only the last step, (H).
     *
     * @param units hidden units H, positive
     * @throws IllegalArgumentException if {@code units} is not positive
     */
    public LSTM(int units) {
        this(units, Activation.TANH, false);
    }

    /**
     * Creates an LSTM layer.
     *
     * @param units           hidden units H, positive
     * @param activation      cell activation: tanh (default) or relu; the gates always use the
     *                        sigmoid
     * @param returnSequences output every step (T, H) instead of the last (H)
     * @throws IllegalArgumentException if {@code units} is not positive or the activation is
     *                                  neither tanh nor relu
     */
    public LSTM(int units, Activation activation, boolean returnSequences) {
        super(units, activation, returnSequences);
    }

    @Override
    public RnnSpec.Cell cell() {
        return RnnSpec.Cell.LSTM;
    }
}
