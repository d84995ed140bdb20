package dev.jrnn.backend;

/**
 * Shape and kind of one recurrent layer: everything an op needs to read its canonical parameters.
 *
 * <p>Canonical parameter layout (DESIGN.md), row-major, gate order as cuDNN:
 * <pre>
 *   W   (G*H, F)    input weights      LSTM gates i, f, g, o; GRU gates r, z, n
 *   R   (G*H, H)    recurrent weights
 *   b   (G*H)       LSTM: one bias per gate (Keras'; cuDNN's input bias, its recurrent bias held at 0)
 *   bW  (G*H), bR (G*H)   GRU: input and recurrent biases (CUDNN_RNN_DOUBLE_BIAS)
 * </pre>
 *
 *
 * <p>A stack of {@code layers > 1} (cuDNN's {@code numLayers}): layer 0 reads the input (F
 * features), each layer above reads the output sequence of the one below (H features), and the
 * output is the top layer's. Its parameters are the layers' blocks one after another, layer
 * {@code l}'s at {@link #layerOffset(int) layerOffset(l)}, each in the layout above for
 * {@link #layer(int) layer(l)}: exactly how a {@code Sequential} model places consecutive
 * recurrent layers in its flat parameter buffer. Initial and final states are
 * {@code (layers, B, H)}, layer {@code l}'s at float {@code l * B * H}.
 *
 * @param cell       LSTM or GRU
 * @param inputSize  F, features per timestep of the (first) layer's input
 * @param units      H, hidden units of every layer
 * @param activation cell activation: {@code TANH} (default) or {@code RELU}
 * @param layers     stacked layers, at least 1
 */
public record RnnSpec(Cell cell, int inputSize, int units, Activation activation, int layers) {

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

        /** {@return the number of gates G: 4 for LSTM, 3 for GRU} */
        public int gates() {
            return gates;
        }

        /**
         * Parses a cell name.
         *
         * @param s {@code lstm} or {@code gru}, in any case, surrounding blanks ignored
         * @return the cell of that name
         * @throws IllegalArgumentException if {@code s} is neither
         */
        public static Cell parse(String s) {
            for (Cell c : values()) if (c.name().equalsIgnoreCase(s.trim())) return c;
            throw new IllegalArgumentException("unknown cell '" + s + "': expected lstm or gru");
        }
    }

    /**
     * Checks the sizes and the activation.
     *
     * @throws IllegalArgumentException if {@code inputSize}, {@code units} or {@code layers} is not
     *                                  positive, or the activation is neither {@code TANH} nor {@code RELU}
     */
    public RnnSpec {
        if (inputSize <= 0 || units <= 0) {
            throw new IllegalArgumentException(
                    "RNN sizes must be positive: inputSize=" + inputSize + ", units=" + units);
        }
        if (layers < 1) throw new IllegalArgumentException("an RNN has at least 1 layer, found layers=" + layers);
        if (activation != Activation.TANH && activation != Activation.RELU) {
            throw new IllegalArgumentException(
                    "RNN cell activation must be tanh or relu, found " + activation.keyword());
        }
    }

    /**
     * One layer: {@code layers = 1}.
     *
     * @param cell       LSTM or GRU
     * @param inputSize  F, features per timestep
     * @param units      H, hidden units
     * @param activation cell activation: {@code TANH} or {@code RELU}
     * @throws IllegalArgumentException if a size is not positive or the activation is neither
     */
    public RnnSpec(Cell cell, int inputSize, int units, Activation activation) {
        this(cell, inputSize, units, activation, 1);
    }

    /**
     * Returns one layer of this stack as a one-layer spec.
     *
     * @param l the layer, from 0 (the bottom)
     * @return {@code (cell, l == 0 ? inputSize : units, units, activation, 1)}
     * @throws IndexOutOfBoundsException if {@code l} is not in {@code [0, layers)}
     */
    public RnnSpec layer(int l) {
        java.util.Objects.checkIndex(l, layers);
        return layers == 1 ? this : new RnnSpec(cell, l == 0 ? inputSize : units, units, activation, 1);
    }

    /**
     * Returns where one layer's parameter block starts in the stack's parameters.
     *
     * @param l the layer, from 0
     * @return the offset in floats: 0 for layer 0, then each layer's block after the one below
     * @throws IndexOutOfBoundsException if {@code l} is not in {@code [0, layers)}
     */
    public int layerOffset(int l) {
        java.util.Objects.checkIndex(l, layers);
        return l == 0 ? 0 : layer(0).paramCount() + (l - 1) * layer(1).paramCount();
    }

    /** {@return the number of gates G: 4 for LSTM, 3 for GRU} */
    public int gates() {
        return cell.gates();
    }

    /** {@return G*H, the rows of W and R and the length of each bias vector} */
    public int gateWidth() {
        return cell.gates() * units;
    }

    /** {@return the offset of W (G*H, F) in the (first) layer's parameter block, in floats: always 0} */
    public int offsetW() {
        return 0;
    }

    /** {@return the offset of R (G*H, H) in the (first) layer's parameter block, in floats: G*H*F} */
    public int offsetR() {
        return gateWidth() * inputSize;
    }

    /**
     * {@return the offset of the bias in the (first) layer's parameter block, in floats: G*H*(F+H)}
     * For GRU this is bW, and bR follows at {@code offsetBias() + gateWidth()}.
     */
    public int offsetBias() {
        return offsetR() + gateWidth() * units;
    }

    /** {@return the number of bias vectors of length G*H: 1 for LSTM (b), 2 for GRU (bW, bR)} */
    public int biasCount() {
        return cell == Cell.LSTM ? 1 : 2;
    }

    /**
     * {@return the total parameter count: G*H*(F + H + biasCount()) for one layer, the sum over the
     * layers for a stack}
     */
    public int paramCount() {
        int first = offsetBias() + biasCount() * gateWidth();
        return layers == 1 ? first : first + (layers - 1) * layer(1).paramCount();
    }

    /**
     * Floats of per-sample scratch the forward pass keeps for backward, for T timesteps. One layer:
     * activated gates (T, G*H) and, for LSTM the cell states c (T, H), for GRU the recurrent
     * candidate term {@code R_n h + b_Rn} (T, H). A stack: every layer's, the output sequences
     * (T, H) of all layers but the top, and one or two (T, H) gradient sequences handed down
     * between layers in backward.
     *
     * @param timesteps T, the sequence length
     * @return {@code T * (G*H + H)} for one layer, the reserve floats per sample
     */
    public int reservePerSample(int timesteps) {
        int one = timesteps * (gateWidth() + units);
        if (layers == 1) return one;
        return Math.addExact(Math.multiplyExact(layers, one),
                Math.multiplyExact(layers - 1 + Math.min(layers - 1, 2), timesteps * units));
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

    /**
     * Checks the arguments of a forward pass ({@link Backend#rnnForward}, {@link Backend#rnnInfer})
     * once, for every backend: sizes against the shapes they must have, and no cell state for a
     * GRU. The message names the argument, its shape with this batch and these steps, the elements
     * it needs and the elements found.
     *
     * @param op      the op's name for the message
     * @param batch   B
     * @param steps   T
     * @param x       (B, T, F)
     * @param initial (layers, B, H) each, or {@code null}s
     * @param params  {@link #paramCount()} floats
     * @param y       (B, T, H)
     * @param last    (layers, B, H) each, or {@code null}s
     * @throws IllegalArgumentException naming the first argument that does not fit
     */
    public void checkForward(String op, int batch, int steps, Tensor x, RnnState initial, Tensor params, Tensor y,
                             RnnState last) {
        checkBatchSteps(op, batch, steps);
        need(op, "x", "(B, T, F)", x, (long) batch * steps * inputSize, batch, steps);
        need(op, "params", "(" + paramCount() + ") of " + this, params, paramCount(), batch, steps);
        need(op, "y", "(B, T, H)", y, (long) batch * steps * units, batch, steps);
        states(op, batch, steps, "hx", "cx", initial);
        states(op, batch, steps, "hy", "cy", last);
    }

    /**
     * Checks the arguments of a backward pass ({@link Backend#rnnBackward}) once, for every
     * backend, as {@link #checkForward} does.
     *
     * @param op       the op's name for the message
     * @param batch    B
     * @param steps    T
     * @param dy       (B, T, H)
     * @param dLast    (layers, B, H) each, or {@code null}s
     * @param dx       (B, T, F), or {@code null}
     * @param dInitial (layers, B, H) each, or {@code null}s
     * @param dParams  {@link #paramCount()} floats
     * @throws IllegalArgumentException naming the first argument that does not fit
     */
    public void checkBackward(String op, int batch, int steps, Tensor dy, RnnState dLast, Tensor dx, RnnState dInitial,
                              Tensor dParams) {
        checkBatchSteps(op, batch, steps);
        need(op, "dy", "(B, T, H)", dy, (long) batch * steps * units, batch, steps);
        if (dx != null) need(op, "dx", "(B, T, F)", dx, (long) batch * steps * inputSize, batch, steps);
        need(op, "dParams", "(" + paramCount() + ") of " + this, dParams, paramCount(), batch, steps);
        states(op, batch, steps, "dhy", "dcy", dLast);
        states(op, batch, steps, "dhx", "dcx", dInitial);
    }

    private static void checkBatchSteps(String op, int batch, int steps) {
        if (batch <= 0 || steps <= 0) {
            throw new IllegalArgumentException(op + ": batch and steps must be positive, found B " + batch + " and T " + steps);
        }
    }

    private void states(String op, int batch, int steps, String hName, String cName, RnnState s) {
        if (s == null) return;
        String shape = layers == 1 ? "(B, H)" : "(layers, B, H)";
        long n = (long) layers * batch * units;
        if (s.h() != null) need(op, hName, shape, s.h(), n, batch, steps);
        if (s.c() != null) {
            if (cell != Cell.LSTM) throw new IllegalArgumentException(op + ": GRU has no cell state, so " + cName + " must be null");
            need(op, cName, shape, s.c(), n, batch, steps);
        }
    }

    private void need(String op, String name, String shape, Tensor t, long elements, int batch, int steps) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " " + shape + " is null");
        if (t.size() < elements) {
            throw new IllegalArgumentException(op + ": " + name + " " + shape + " with layers " + layers + ", B " + batch
                    + ", T " + steps + ", F " + inputSize + ", H " + units + " needs " + elements + " elements, found " + t.size());
        }
    }
}
