/**
 * Standalone layers and kernels for your own training loop, without {@code Sequential} or the
 * trainer: {@link dev.jrnn.ops.Rnn} (an LSTM or GRU layer with forward and backward over whole
 * sequences, initial and final states) and {@link dev.jrnn.ops.Kernels} (dropout, softmax,
 * softmax + cross-entropy, Adam on Java arrays). Both run on any {@link dev.jrnn.backend.Backend}:
 * {@link dev.jrnn.backend.Backends#cpu()}, {@link dev.jrnn.backend.Backends#reference()} or a
 * {@link dev.jrnn.backend.GpuBackend} over the caller's own device buffers and stream.
 *
 * <p>May import: {@code dev.jrnn.backend}, {@code dev.jrnn.nn}.
 */
package dev.jrnn.ops;
