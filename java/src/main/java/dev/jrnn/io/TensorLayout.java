package dev.jrnn.io;

import dev.jrnn.backend.RnnSpec;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Recurrent;
import dev.jrnn.nn.Sequential;
import java.util.ArrayList;
import java.util.List;

/**
 * Names and shapes of a model's parameter tensors in the flat canonical buffer, as checkpoints
 * store them. Layer names are Keras' ({@code lstm}, {@code lstm_1}, {@code dense}, ...):
 * <pre>
 *   LSTM / GRU   NAME.W  (G*H, F)   NAME.R  (G*H, H)   gate order LSTM i,f,g,o; GRU r,z,n
 *   LSTM         NAME.b  (G*H)                          one bias per gate
 *   GRU          NAME.bW (G*H)      NAME.bR (G*H)       input and recurrent biases
 *   Dense        NAME.W  (out, in)  NAME.b  (out)
 * </pre>
 * A {@link Bidirectional} layer holds its wrapped layer's tensors once per direction, the forward
 * direction's first, under {@code NAME.forward.} and {@code NAME.backward.} (Keras'
 * {@code forward_lstm}, {@code backward_lstm}): {@code bidirectional.forward.W},
 * {@code bidirectional.backward.R}, ...
 * Each tensor is row-major; together they tile the flat buffer, in the order listed, at the
 * offsets {@link Sequential#paramOffset(int)} gives. Dropout and Masking layers have none.
 */
public final class TensorLayout {
    private TensorLayout() {}

    /**
     * One parameter tensor.
     *
     * @param name   e.g. {@code gru_1.bR}
     * @param layer  index of its layer in the model
     * @param offset position of its first element in the flat parameter buffer
     * @param shape  row-major dimensions, e.g. {@code [96, 28]} for W (G*H, F); treat as read-only
     */
    public record Entry(String name, int layer, int offset, int[] shape) {
        /** {@return the number of elements, the product of {@code shape}} */
        public int size() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /**
     * Lists the parameter tensors of a model.
     *
     * @param model the model
     * @return every parameter tensor of {@code model}, in buffer order
     */
    public static List<Entry> of(Sequential model) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < model.layers().size(); i++) {
            Layer layer = model.layers().get(i);
            String name = model.names().get(i);
            int off = model.paramOffset(i);
            if (layer instanceof Recurrent r) {
                recurrent(out, name + ".", i, off, r.spec(model.inputShape(i).dim(1)));
            } else if (layer instanceof Bidirectional b) {
                RnnSpec s = b.spec(model.inputShape(i).dim(1));
                recurrent(out, name + ".forward.", i, off + s.directionOffset(0), s.unidirectional());
                recurrent(out, name + ".backward.", i, off + s.directionOffset(1), s.unidirectional());
            } else if (layer instanceof Dense d) {
                int in = model.inputShape(i).dim(0);
                out.add(new Entry(name + ".W", i, off, new int[] {d.units(), in}));
                out.add(new Entry(name + ".b", i, off + d.units() * in, new int[] {d.units()}));
            }
        }
        return out;
    }

    private static void recurrent(List<Entry> out, String prefix, int i, int off, RnnSpec s) {
        int gh = s.gateWidth();
        out.add(new Entry(prefix + "W", i, off + s.offsetW(), new int[] {gh, s.inputSize()}));
        out.add(new Entry(prefix + "R", i, off + s.offsetR(), new int[] {gh, s.units()}));
        if (s.cell() == RnnSpec.Cell.LSTM) {
            out.add(new Entry(prefix + "b", i, off + s.offsetBias(), new int[] {gh}));
        } else {
            out.add(new Entry(prefix + "bW", i, off + s.offsetBias(), new int[] {gh}));
            out.add(new Entry(prefix + "bR", i, off + s.offsetBias() + gh, new int[] {gh}));
        }
    }
}
