package dev.jrnn.backend;

/**
 * Shape and kind of one recurrent layer: everything an op needs to read its canonical parameters.
 *
 * <p>Canonical parameter layout (DESIGN.md), row-major, gate order as cuDNN:
 * <pre>
 *   W   (G*H, F)    input weights      LSTM gates i, f, g, o; GRU gates r, z, n
 *   R   (G*H, H)    recurrent weights
 *   b   (G*H)       LSTM: one bias per gate (CUDNN_RNN_SINGLE_INP_BIAS)
 *   bW  (G*H), bR (G*H)   GRU: input and recurrent biases (CUDNN_RNN_DOUBLE_BIAS)
 * </pre>
 *
 * @param cell       LSTM or GRU
 * @param inputSize  F, features per timestep
 * @param units      H, hidden units
 * @param activation cell activation: {@code TANH} (default) or {@code RELU}
 */
public record RnnSpec(Cell cell, int inputSize, int units, Activation activation) {

    /** The recurrent cell kinds. */
    public enum Cell {
        /** Long short-term memory, 4 gates (i, f, g, o). */
        LSTM(4),
        /** Gated recurrent unit, reset-after, 3 gates (r, z, n). */
        GRU(3);

        private final int gates;

        Cell(int gates) {
            this.gates = gates;
        }

        /** Number of gates G. */
        public int gates() {
            return gates;
        }

        /** Parses {@code lstm} or {@code gru} case-insensitively. */
        public static Cell parse(String s) {
            for (Cell c : values()) if (c.name().equalsIgnoreCase(s.trim())) return c;
            throw new IllegalArgumentException("unknown cell '" + s + "': expected lstm or gru");
        }
    }

    public RnnSpec {
        if (inputSize <= 0 || units <= 0) {
            throw new IllegalArgumentException(
                    "RNN sizes must be positive: inputSize=" + inputSize + ", units=" + units);
        }
        if (activation != Activation.TANH && activation != Activation.RELU) {
            throw new IllegalArgumentException(
                    "RNN cell activation must be tanh or relu, found " + activation.keyword());
        }
    }

    /** Number of gates G. */
    public int gates() {
        return cell.gates();
    }

    /** G*H. */
    public int gateWidth() {
        return cell.gates() * units;
    }

    /** Offset of W in the layer's parameter block. */
    public int offsetW() {
        return 0;
    }

    /** Offset of R in the layer's parameter block. */
    public int offsetR() {
        return gateWidth() * inputSize;
    }

    /** Offset of the (first) bias in the layer's parameter block. */
    public int offsetBias() {
        return offsetR() + gateWidth() * units;
    }

    /** Number of bias vectors of length G*H: 1 for LSTM, 2 for GRU. */
    public int biasCount() {
        return cell == Cell.LSTM ? 1 : 2;
    }

    /** Total parameters of the layer. */
    public int paramCount() {
        return offsetBias() + biasCount() * gateWidth();
    }

    /**
     * Floats of per-sample scratch the forward pass keeps for backward, for T timesteps:
     * activated gates (T, G*H) and, for LSTM the cell states c (T, H), for GRU the recurrent
     * candidate term {@code R_n h + b_Rn} (T, H).
     */
    public int reservePerSample(int timesteps) {
        return timesteps * (gateWidth() + units);
    }

    /**
     * Rejects cell-state arguments of a recurrent op for a GRU, which has no cell state; a no-op
     * for an LSTM. The same message from every backend.
     *
     * @param op              the op's name, for the message ({@code rnnForward}, {@code rnnBackward})
     * @param namesAndTensors pairs of an argument's name and its value ({@code "cx", cx, ...})
     * @throws IllegalArgumentException for a GRU when any of the values is not {@code null}
     */
    public void checkCellStates(String op, Object... namesAndTensors) {
        if (cell == Cell.LSTM) return;
        for (int i = 0; i + 1 < namesAndTensors.length; i += 2) {
            if (namesAndTensors[i + 1] != null) {
                throw new IllegalArgumentException(op + ": GRU has no cell state, so " + namesAndTensors[i]
                        + " must be null");
            }
        }
    }
}
