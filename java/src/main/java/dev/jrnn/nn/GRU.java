package dev.jrnn.nn;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;

/**
 * Gated recurrent unit, reset gate applied after the recurrent product (Keras
 * {@code reset_after=True}, cuDNN, PyTorch); gate order r, z, n; input and recurrent biases.
 *
 * <pre>
 *   r = sigmoid(W_r x + b_Wr + R_r h + b_Rr)   z = sigmoid(W_z x + b_Wz + R_z h + b_Rz)
 *   n = act(W_n x + b_Wn + r * (R_n h + b_Rn))  h' = (1 - z) * n + z * h
 * </pre>
 * Initialised as Keras: Glorot-uniform W, orthogonal R, zero biases.
 */
public final class GRU extends Recurrent {

    /** A GRU with tanh activation that outputs only the last step. */
    public GRU(int units) {
        this(units, Activation.TANH, false);
    }

    /**
     * @param units           hidden units H
     * @param activation      tanh (default) or relu
     * @param returnSequences output every step (T, H) instead of the last (H)
     */
    public GRU(int units, Activation activation, boolean returnSequences) {
        super(units, activation, returnSequences);
    }

    @Override
    public RnnSpec.Cell cell() {
        return RnnSpec.Cell.GRU;
    }
}
