package dev.jrnn.experiment;

import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Masking;
import dev.jrnn.nn.Recurrent;
import dev.jrnn.nn.Sequential;

/**
 * The CLI's model options applied to a built model ({@code --bidirectional}, {@code --merge},
 * {@code --mask}): each returns a new {@link Sequential} with the same input and the same other
 * layers, in order.
 */
public final class ModelEdits {

    private ModelEdits() {
    }

    /**
     * Wraps every recurrent layer in {@link Bidirectional}: {@code LSTM(32)} becomes
     * {@code Bidirectional(LSTM(32), merge)}, each keeping its {@code returnSequences}, so a stack
     * stays a stack; the layers after see 2H (CONCAT) or H (SUM) features.
     *
     * @param model the model
     * @param merge how each layer's two directions combine
     * @return the model with bidirectional recurrent layers
     * @throws IllegalArgumentException if the model has no unidirectional recurrent layer to wrap
     */
    public static Sequential bidirectional(Sequential model, Bidirectional.Merge merge) {
        Sequential.Builder b = Sequential.builder().input(model.inputShape().dims());
        int wrapped = 0;
        for (Layer l : model.layers()) {
            if (l instanceof Recurrent r) {
                b.add(new Bidirectional(r, merge));
                wrapped++;
            } else {
                b.add(l);
            }
        }
        if (wrapped == 0) {
            throw new IllegalArgumentException("--bidirectional wraps the model's recurrent layers (LSTM, GRU), but "
                    + model.shortName() + " has none that is not already bidirectional");
        }
        return b.build();
    }

    /**
     * Puts {@link Masking}{@code (value)} first: each sample's length becomes 1 + its last step whose
     * features are not all {@code value} (right padding), the shorter of that and the dataset's
     * lengths when it has them.
     *
     * @param model the model, without a Masking layer
     * @param value the padding value
     * @return the model with a Masking layer first
     * @throws IllegalArgumentException if the model already has a Masking layer or {@code value} is
     *                                  not finite
     */
    public static Sequential masked(Sequential model, float value) {
        if (!Float.isFinite(value)) throw new IllegalArgumentException("--mask must be a finite number, found " + value);
        if (model.masking() != null) throw new IllegalArgumentException("the model already masks the value " + model.masking().value());
        Sequential.Builder b = Sequential.builder().input(model.inputShape().dims()).add(new Masking(value));
        for (Layer l : model.layers()) b.add(l);
        return b.build();
    }
}
