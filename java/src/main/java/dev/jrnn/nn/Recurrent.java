package dev.jrnn.nn;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;

/** Common part of {@link LSTM} and {@link GRU}: a recurrent layer over (timesteps, features). */
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

    /** The cell kind. */
    public abstract RnnSpec.Cell cell();

    /** Hidden units H. */
    public int units() {
        return units;
    }

    /** Cell activation (tanh or relu); gates always use the sigmoid. */
    public Activation activation() {
        return activation;
    }

    /** Whether the layer outputs every step (T, H) or only the last (H). */
    public boolean returnSequences() {
        return returnSequences;
    }

    /** The op-level description of this layer for an input of {@code features} per step. */
    public RnnSpec spec(int features) {
        return new RnnSpec(cell(), features, units, activation);
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
        return spec(input.dim(1)).paramCount();
    }

    @Override
    public String toString() {
        return typeName() + "(" + units + ", activation=" + activation.keyword() + ", returnSequences=" + returnSequences + ")";
    }
}
