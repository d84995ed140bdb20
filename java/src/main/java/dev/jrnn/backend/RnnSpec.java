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
 * <p>A bidirectional layer ({@code bidirectional}, cuDNN's {@code CUDNN_BIDIRECTIONAL}, PyTorch's
 * {@code bidirectional=True}) runs a second cell over each sequence from its last valid step back to
 * its first, and outputs both hidden states at every step, concatenated: y is
 * {@code (B, T, 2H)}, the forward direction's in features {@code [0, H)}, the reverse's in
 * {@code [H, 2H)}. A layer's parameter block is then the forward direction's block (the layout
 * above) followed by the reverse direction's, in the same layout ({@link #directionOffset(int)});
 * each layer above the first reads {@code 2H} features. States are {@code (layers * 2, B, H)},
 * layer {@code l} direction {@code d} at float {@code (2l + d) * B * H}: cuDNN's and PyTorch's
 * order.
 *
 * <p>Per-sample lengths: every forward pass may take a lengths array, one length in
 * {@code [1, T]} per sequence ({@link #checkLengths}): sequence {@code b} holds steps
 * {@code [0, lengths[b])} and the rest is padding, as PyTorch's {@code pack_padded_sequence} and
 * Keras' right-padded masks. Its outputs past its length are 0, its final state is the state at its
 * last valid step (for the reverse direction, at step 0), and no gradient flows from padding.
 *
 * @param cell       LSTM or GRU
 * @param inputSize  F, features per timestep of the (first) layer's input
 * @param units      H, hidden units of every layer
 * @param activation cell activation: {@code TANH} (default) or {@code RELU}
 * @param layers     stacked layers, at least 1
 * @param bidirectional whether each layer also runs the sequence backwards (two directions)
 */
public record RnnSpec(Cell cell, int inputSize, int units, Activation activation, int layers, boolean bidirectional) {

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
        this(cell, inputSize, units, activation, 1, false);
    }

    /**
     * A unidirectional stack.
     *
     * @param cell       LSTM or GRU
     * @param inputSize  F, features per timestep of the first layer's input
     * @param units      H, hidden units of every layer
     * @param activation cell activation: {@code TANH} or {@code RELU}
     * @param layers     stacked layers, at least 1
     * @throws IllegalArgumentException if a size is not positive or the activation is neither
     */
    public RnnSpec(Cell cell, int inputSize, int units, Activation activation, int layers) {
        this(cell, inputSize, units, activation, layers, false);
    }

    /** {@return the directions of every layer: 2 when bidirectional, else 1} */
    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** {@return the features of the output y per step: {@code directions() * units}} */
    public int outputSize() {
        return directions() * units;
    }

    /**
     * {@return the (layer, direction) pairs the states hold, {@code layers * directions()}: the
     * first dimension of the states (cuDNN's pseudo-layers)}
     */
    public int stateLayers() {
        return layers * directions();
    }

    /**
     * {@return the same layers run in one direction: for a one-layer spec, one direction's block}
     * Each direction of a bidirectional layer has this spec's cell, input size, units and
     * activation, and its parameters at {@link #directionOffset(int)}.
     *
     * @throws IllegalStateException for a bidirectional stack, whose upper layers read 2H features
     *         and so have no one-directional equivalent: take {@link #layer(int)} first
     */
    public RnnSpec unidirectional() {
        if (!bidirectional) return this;
        if (layers > 1) {
            throw new IllegalStateException("unidirectional() of a bidirectional stack " + this
                    + ": take layer(l) first, whose input is 2H features above layer 0");
        }
        return new RnnSpec(cell, inputSize, units, activation, 1, false);
    }

    /**
     * Returns where one direction's parameter block starts in a one-layer spec's parameters.
     *
     * @param direction 0 (forward) or, when bidirectional, 1 (reverse)
     * @return 0 for direction 0, {@code unidirectional().paramCount()} for direction 1
     * @throws IndexOutOfBoundsException if {@code direction} is not in {@code [0, directions())}
     * @throws IllegalStateException for a stack: take {@link #layer(int)} first
     */
    public int directionOffset(int direction) {
        java.util.Objects.checkIndex(direction, directions());
        if (layers > 1) throw new IllegalStateException("directionOffset of a stack " + this + ": take layer(l) first");
        return direction == 0 ? 0 : unidirectional().paramCount();
    }

    /**
     * Returns one layer of this stack as a one-layer spec.
     *
     * @param l the layer, from 0 (the bottom)
     * @return {@code (cell, l == 0 ? inputSize : outputSize(), units, activation, 1, bidirectional)}
     * @throws IndexOutOfBoundsException if {@code l} is not in {@code [0, layers)}
     */
    public RnnSpec layer(int l) {
        java.util.Objects.checkIndex(l, layers);
        return layers == 1 ? this : new RnnSpec(cell, l == 0 ? inputSize : outputSize(), units, activation, 1, bidirectional);
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

    /** {@return the offset of W (G*H, F) in the (first) layer's (first direction's) parameter block, in floats: always 0} */
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
     * {@return the total parameter count: G*H*(F + H + biasCount()) for one layer in one direction,
     * twice that when bidirectional, the sum over the layers for a stack}
     */
    public int paramCount() {
        int first = directions() * (offsetBias() + biasCount() * gateWidth());
        return layers == 1 ? first : first + (layers - 1) * layer(1).paramCount();
    }

    /**
     * Floats of per-sample scratch the CPU backends' forward pass keeps for backward, for T
     * timesteps (their own layout; cuDNN sizes its reserve itself). One layer in one direction:
     * activated gates (T, G*H) and, for LSTM the cell states c and their activation act(c)
     * (T, 2H), for GRU the recurrent candidate term {@code R_n h + b_Rn} (T, H). A bidirectional layer: that for each direction,
     * forward first. A stack: every layer's, then the output sequences (T, directions * H) of all
     * layers but the top, then one or two (T, directions * H) gradient sequences handed down
     * between layers in backward.
     *
     * @param timesteps T, the (padded) sequence length
     * @return {@code T * (G*H + 2H)} (LSTM) or {@code T * (G*H + H)} (GRU) for one unidirectional
     *         layer, the reserve floats per sample
     */
    public int reservePerSample(int timesteps) {
        int one = Math.multiplyExact(timesteps, gateWidth() + (cell == Cell.LSTM ? 2 : 1) * units);
        int perLayer = Math.multiplyExact(directions(), one);
        if (layers == 1) return perLayer;
        return Math.addExact(Math.multiplyExact(layers, perLayer),
                Math.multiplyExact(layers - 1 + Math.min(layers - 1, 2), Math.multiplyExact(timesteps, outputSize())));
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
     * @param y       (B, T, H), or (B, T, 2H) when bidirectional
     * @param last    (layers, B, H) each, or {@code null}s
     * @throws IllegalArgumentException naming the first argument that does not fit
     */
    public void checkForward(String op, int batch, int steps, Tensor x, RnnState initial, Tensor params, Tensor y,
                             RnnState last) {
        checkForward(op, batch, steps, null, x, initial, params, y, last);
    }

    /**
     * {@link #checkForward(String, int, int, Tensor, RnnState, Tensor, Tensor, RnnState) checkForward}
     * with per-sample lengths, checked by {@link #checkLengths}.
     *
     * @param op      the op's name for the message
     * @param batch   B
     * @param steps   T
     * @param lengths B lengths in [1, T], or {@code null} for all T
     * @param x       (B, T, F)
     * @param initial (layers * directions, B, H) each, or {@code null}s
     * @param params  {@link #paramCount()} floats
     * @param y       (B, T, directions * H)
     * @param last    (layers * directions, B, H) each, or {@code null}s
     * @throws IllegalArgumentException naming the first argument that does not fit
     */
    public void checkForward(String op, int batch, int steps, int[] lengths, Tensor x, RnnState initial, Tensor params,
                             Tensor y, RnnState last) {
        checkBatchSteps(op, batch, steps);
        checkLengths(op, batch, steps, lengths);
        need(op, "x", "(B, T, F)", x, (long) batch * steps * inputSize, batch, steps);
        need(op, "params", null, params, paramCount(), batch, steps);
        need(op, "y", bidirectional ? "(B, T, 2H)" : "(B, T, H)", y, (long) batch * steps * outputSize(), batch, steps);
        states(op, batch, steps, "hx", "cx", initial);
        states(op, batch, steps, "hy", "cy", last);
    }

    /**
     * Checks per-sample sequence lengths: {@code null}, or one length per sequence, each in
     * {@code [1, T]}. The same message from every backend.
     *
     * @param op      the op's name for the message
     * @param batch   B
     * @param steps   T
     * @param lengths the lengths, or {@code null} (every sequence T steps)
     * @throws IllegalArgumentException if the array's size is not B or a length is out of range
     */
    public static void checkLengths(String op, int batch, int steps, int[] lengths) {
        if (lengths == null) return;
        if (lengths.length != batch) {
            throw new IllegalArgumentException(op + ": lengths must hold one length per sequence, expected B = " + batch
                    + ", found " + lengths.length);
        }
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < 1 || lengths[b] > steps) {
                throw new IllegalArgumentException(op + ": sequence " + b + " has length " + lengths[b]
                        + ", expected 1 to T = " + steps + " (pad every sequence to T steps, and drop empty ones)");
            }
        }
    }

    /**
     * {@return whether lengths leave every sequence whole: {@code null}, or every length T}
     * Backends take the fixed-length path then.
     *
     * @param lengths the lengths, or {@code null}
     * @param steps   T
     */
    public static boolean fullLength(int[] lengths, int steps) {
        if (lengths == null) return true;
        for (int n : lengths) if (n != steps) return false;
        return true;
    }

    /**
     * Checks the arguments of a backward pass ({@link Backend#rnnBackward}) once, for every
     * backend, as {@link #checkForward} does.
     *
     * @param op       the op's name for the message
     * @param batch    B
     * @param steps    T
     * @param dy       (B, T, directions * H), or {@code null} for zeros
     * @param dLast    (layers * directions, B, H) each, or {@code null}s
     * @param dx       (B, T, F), or {@code null}
     * @param dInitial (layers, B, H) each, or {@code null}s
     * @param dParams  {@link #paramCount()} floats
     * @throws IllegalArgumentException naming the first argument that does not fit
     */
    public void checkBackward(String op, int batch, int steps, Tensor dy, RnnState dLast, Tensor dx, RnnState dInitial,
                              Tensor dParams) {
        checkBatchSteps(op, batch, steps);
        if (dy != null) need(op, "dy", bidirectional ? "(B, T, 2H)" : "(B, T, H)", dy, (long) batch * steps * outputSize(), batch, steps);
        if (dx != null) need(op, "dx", "(B, T, F)", dx, (long) batch * steps * inputSize, batch, steps);
        need(op, "dParams", null, dParams, paramCount(), batch, steps);
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
        String shape = stateLayers() == 1 ? "(B, H)" : bidirectional ? "(layers * 2, B, H)" : "(layers, B, H)";
        long n = (long) stateLayers() * batch * units;
        if (s.h() != null) need(op, hName, shape, s.h(), n, batch, steps);
        if (s.c() != null) {
            if (cell != Cell.LSTM) throw new IllegalArgumentException(op + ": GRU has no cell state, so " + cName + " must be null");
            need(op, cName, shape, s.c(), n, batch, steps);
        }
    }

    /**
     * Checks that {@code t} holds {@code elements}; {@code shape} null stands for the parameter
     * vector's, {@code (paramCount) of <this spec>}. NB: the messages are built only on failure:
     * these checks run on every forward and backward call, and formatting the spec there was a
     * visible share of a CPU training step's single-threaded time.
     */
    private void need(String op, String name, String shape, Tensor t, long elements, int batch, int steps) {
        if (t != null && t.size() >= elements) return;
        if (shape == null) shape = "(" + paramCount() + ") of " + this;
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " " + shape + " is null");
        throw new IllegalArgumentException(op + ": " + name + " " + shape + " with layers " + layers + ", B " + batch
                + ", T " + steps + ", F " + inputSize + ", H " + units + " needs " + elements + " elements, found " + t.size());
    }
}
