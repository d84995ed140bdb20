package dev.jrnn.nn;

import dev.jrnn.backend.RnnSpec;
import java.util.Locale;
import java.util.Objects;

/**
 * Keras' {@code Bidirectional} wrapper: runs its recurrent layer over each sequence forward and, with
 * a second set of weights, backward (from the sequence's last valid step to its first), and merges
 * the two directions' hidden states.
 *
 * <pre>
 *   h_fwd[t] = cell_fwd(x[t], h_fwd[t-1])             t = 0 .. len-1
 *   h_rev[t] = cell_rev(x[t], h_rev[t+1])             t = len-1 .. 0
 *   CONCAT: y[t] = [h_fwd[t], h_rev[t]]   (2H)        SUM: y[t] = h_fwd[t] + h_rev[t]   (H)
 * </pre>
 * With {@code returnSequences} the layer outputs y at every step, (T, 2H) or (T, H), and 0 past a
 * sequence's length; without, it outputs Keras' last output: the forward direction's state at the
 * last valid step {@code len - 1} and the reverse direction's at step 0 (where it ends), merged.
 *
 * <p>Parameters: the forward direction's block then the reverse direction's, each in the wrapped
 * layer's layout ({@link RnnSpec}), so {@code 2 * layer.paramCount(input)} floats: 15,616 for
 * {@code Bidirectional(LSTM(32))} on 28 features, as Keras. Each direction is initialised as the
 * wrapped layer would be, from its own random stream. Consecutive CONCAT layers of one cell, width
 * and activation run as one bidirectional stack ({@link #stacksOn}); SUM layers run one by one.
 *
 * @param layer the recurrent layer run in both directions; its {@code returnSequences} decides
 *              this layer's
 * @param merge how the directions' outputs combine
 */
public record Bidirectional(Recurrent layer, Merge merge) implements Layer {

    /** How a bidirectional layer combines its two directions' outputs (Keras' {@code merge_mode}). */
    public enum Merge {
        /** {@code [h_fwd, h_rev]}, 2H features: Keras' default and PyTorch's and cuDNN's output. */
        CONCAT,
        /** {@code h_fwd + h_rev}, H features. */
        SUM;

        /** {@return the lower-case name used in model JSON and on the command line: concat or sum} */
        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Parses a merge mode.
         *
         * @param s {@code concat} or {@code sum}, in any case, surrounding blanks ignored
         * @return the mode
         * @throws IllegalArgumentException if {@code s} is neither
         */
        public static Merge parse(String s) {
            for (Merge m : values()) if (m.name().equalsIgnoreCase(s.trim())) return m;
            throw new IllegalArgumentException("unknown merge mode '" + s + "': expected concat or sum");
        }
    }

    /**
     * Checks the arguments.
     *
     * @throws NullPointerException if {@code layer} or {@code merge} is null
     */
    public Bidirectional {
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(merge, "merge");
    }

    /**
     * Wraps a layer with the default merge, {@link Merge#CONCAT}.
     *
     * @param layer the recurrent layer run in both directions
     * @throws NullPointerException if {@code layer} is null
     */
    public Bidirectional(Recurrent layer) {
        this(layer, Merge.CONCAT);
    }

    /** {@return the wrapped layer's cell} */
    public RnnSpec.Cell cell() {
        return layer.cell();
    }

    /** {@return H, the hidden units of each direction} */
    public int units() {
        return layer.units();
    }

    /** {@return true if the layer outputs every step, as its wrapped layer} */
    public boolean returnSequences() {
        return layer.returnSequences();
    }

    /** {@return the features per step this layer outputs: 2H for CONCAT, H for SUM} */
    public int outputUnits() {
        return merge == Merge.CONCAT ? 2 * layer.units() : layer.units();
    }

    /**
     * Describes this layer for the backend ops: both directions, one layer.
     *
     * @param features F, input features per timestep
     * @return {@code RnnSpec(cell, F, H, activation, 1, bidirectional = true)}; its output y is
     *         (B, T, 2H) whatever the merge, which the network applies after it
     * @throws IllegalArgumentException if {@code features} is not positive
     */
    public RnnSpec spec(int features) {
        return new RnnSpec(layer.cell(), features, layer.units(), layer.activation(), 1, true);
    }

    /**
     * Tells whether this layer, placed right after {@code below}, continues its bidirectional stack
     * (one op, cuDNN's {@code numLayers} with {@code CUDNN_BIDIRECTIONAL}, one PyTorch module with
     * {@code num_layers} and {@code bidirectional=True}): both CONCAT, the same cell, units and
     * activation, with {@code below} returning sequences. SUM layers never stack: the stacked op
     * feeds each layer the concatenation of the one below.
     *
     * @param below the bidirectional layer right before this one
     * @return true if the two belong to one stack
     */
    public boolean stacksOn(Bidirectional below) {
        return merge == Merge.CONCAT && below.merge == Merge.CONCAT && layer.stacksOn(below.layer);
    }

    @Override
    public String kind() {
        return "bidirectional";
    }

    @Override
    public String typeName() {
        return "Bidirectional";
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape inner = layer.outputShape(input);
        return inner.rank() == 2 ? new Shape(inner.dim(0), outputUnits()) : new Shape(outputUnits());
    }

    @Override
    public int paramCount(Shape input) {
        return Layers.checkedCount(2L * layer.paramCount(input), this);
    }

    @Override
    public String toString() {
        return "Bidirectional(" + layer + ", merge=" + merge.keyword() + ")";
    }
}
