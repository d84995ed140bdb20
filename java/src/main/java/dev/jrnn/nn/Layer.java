package dev.jrnn.nn;

/**
 * A layer specification: hyper-parameters only. Weights live in the trainer's flat parameter
 * buffer, at the offsets {@link Sequential} assigns, in the canonical layout of DESIGN.md.
 */
public sealed interface Layer permits Recurrent, Bidirectional, Masking, Dropout, Dense {

    /**
     * {@return the Keras-style base name used in summaries and checkpoints: {@code lstm},
     * {@code gru}, {@code bidirectional}, {@code masking}, {@code dropout} or {@code dense}}
     */
    String kind();

    /**
     * {@return the class name shown in the summary: {@code LSTM}, {@code GRU},
     * {@code Bidirectional}, {@code Masking}, {@code Dropout} or {@code Dense}}
     */
    String typeName();

    /**
     * Computes the per-sample output shape for a per-sample input shape: recurrent layers take
     * (T, F) and give (T, H) or (H) (a CONCAT {@link Bidirectional} (T, 2H) or (2H)), Dense takes (F)
     * and gives (units), Dropout and Masking keep the shape.
     *
     * @param input the per-sample input shape, without the batch axis
     * @return the per-sample output shape
     * @throws IllegalArgumentException if the layer does not accept {@code input}, naming the
     *                                  expected and the found shape
     */
    Shape outputShape(Shape input);

    /**
     * Counts the trainable parameters this layer has when fed {@code input}.
     *
     * @param input the per-sample input shape, without the batch axis
     * @return the number of floats of the layer's parameters in the canonical layout
     * @throws IllegalArgumentException if the layer does not accept {@code input}
     */
    int paramCount(Shape input);
}
