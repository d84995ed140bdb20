package dev.jrnn.nn;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;

/**
 * Common part of {@link LSTM} and {@link GRU}: a recurrent layer over per-sample input
 * (T, F) = (timesteps, features), giving (T, H) when it returns sequences, else (H). Its
 * parameters are laid out as {@link RnnSpec} describes.
 */
public abstract sealed class Recurrent implements Layer permits LSTM, GRU {
    private final int units;
    private final Activation activation;
    private final boolean returnSequences;

    Recurrent(int units, Activation activation, boolean returnSequences) {
        if (units <= 0) throw new IllegalArgumentException(getClass().getSimpleName() + " units must be positive, found " + units);
        if (activation != Activation.TANH && activation != Activation.RELU) {
            throw new IllegalArgumentException(getClass().getSimpleName()
                    + " activation must be tanh or relu, found " + activation.keyword());
        }
        this.units = units;
        this.activation = activation;
        this.returnSequences = returnSequences;
    }

    /** {@return the cell kind, which fixes the gates: LSTM i, f, g, o; GRU r, z, n} */
    public abstract RnnSpec.Cell cell();

    /** {@return the number of hidden units H} */
    public int units() {
        return units;
    }

    /** {@return the cell activation, tanh or relu; the gates always use the sigmoid} */
    public Activation activation() {
        return activation;
    }

    /** {@return true if the layer outputs every step (T, H), false if only the last (H)} */
    public boolean returnSequences() {
        return returnSequences;
    }

    /**
     * Describes this layer for the backend ops.
     *
     * @param features F, input features per timestep
     * @return the op-level spec: cell, F, H and activation
     * @throws IllegalArgumentException if {@code features} is not positive
     */
    public RnnSpec spec(int features) {
        return new RnnSpec(cell(), features, units, activation);
    }

    /**
     * Tells whether this layer, placed right after {@code below}, continues its stack: the same
     * cell, units and activation, with {@code below} returning sequences. A stack runs as one op
     * (cuDNN's {@code numLayers}; see {@link RnnSpec#layers()}) and exports as one PyTorch module
     * with {@code num_layers}.
     *
     * @param below the recurrent layer right before this one
     * @return true if the two belong to one stack
     */
    public boolean stacksOn(Recurrent below) {
        return below.cell() == cell() && below.units() == units && below.activation() == activation
                && below.returnSequences();
    }

    @Override
    public String kind() {
        return cell().name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String typeName() {
        return cell().name();
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 2) {
            throw new IllegalArgumentException(typeName() + " expects input of shape (timesteps, features), found "
                    + input + (input.rank() == 1 ? ": set returnSequences(true) on the previous recurrent layer" : ""));
        }
        return returnSequences ? new Shape(input.dim(0), units) : new Shape(units);
    }

    @Override
    public int paramCount(Shape input) {
        outputShape(input);
        RnnSpec s = spec(input.dim(1));
        // NB: counted in long first: G*H*(F+H+b) passes 2^31 near 23,000 units, and int arithmetic would wrap silently
        long n = (long) s.gateWidth() * ((long) s.inputSize() + s.units() + s.biasCount());
        return Layers.checkedCount(n, this);
    }

    @Override
    public String toString() {
        return typeName() + "(" + units + ", activation=" + activation.keyword() + ", returnSequences=" + returnSequences + ")";
    }
}
