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

    /**
     * Creates a GRU with tanh activation that outputs only the last step, (H).
     *
     * @param units hidden units H, positive
     * @throws IllegalArgumentException if {@code units} is not positive
     */
    public GRU(int units) {
        this(units, Activation.TANH, false);
    }

    /**
     * Creates a GRU layer.
     *
     * @param units           hidden units H, positive
     * @param activation      cell activation: tanh (default) or relu; the gates always use the
     *                        sigmoid
     * @param returnSequences output every step (T, H) instead of the last (H)
     * @throws IllegalArgumentException if {@code units} is not positive or the activation is
     *                                  neither tanh nor relu
     */
    public GRU(int units, Activation activation, boolean returnSequences) {
        super(units, activation, returnSequences);
    }

    @Override
    public RnnSpec.Cell cell() {
        return RnnSpec.Cell.GRU;
    }
}
