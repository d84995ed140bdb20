/**
 * The model as a description, Keras-style: layers ({@link dev.jrnn.nn.LSTM}, {@link dev.jrnn.nn.GRU},
 * {@link dev.jrnn.nn.Bidirectional}, {@link dev.jrnn.nn.Masking}, {@link dev.jrnn.nn.Dense}, {@link dev.jrnn.nn.Dropout}) in a {@link dev.jrnn.nn.Sequential},
 * its shapes and parameter counts (the same as Keras'), and {@link dev.jrnn.nn.Initializers}
 * (Keras' initial weights from a seed). Nothing here computes on a backend.
 *
 * <p>May import: {@code dev.jrnn.backend}.
 */
package dev.jrnn.nn;
