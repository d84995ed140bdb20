package dev.jrnn.nn;

/**
 * A layer specification: hyper-parameters only. Weights live in the trainer's flat parameter
 * buffer, at the offsets {@link Sequential} assigns, in the canonical layout of DESIGN.md.
 */
public sealed interface Layer permits Recurrent, Dropout, Dense {

    /** Keras-style base name used in summaries: {@code lstm}, {@code gru}, {@code dropout}, {@code dense}. */
    String kind();

    /** Class name shown in the summary: {@code LSTM}, {@code GRU}, {@code Dropout}, {@code Dense}. */
    String typeName();

    /**
     * The output shape for {@code input}.
     *
     * @throws IllegalArgumentException naming the expected and the found shape
     */
    Shape outputShape(Shape input);

    /** Number of trainable parameters for {@code input}. */
    int paramCount(Shape input);
}
