/**
 * Files of trained models: safetensors checkpoints (weights, optimiser state, the model and the
 * run, resumable), PyTorch-layout export and import, and writes that never leave a half-written
 * file.
 *
 * <p>May import: {@code dev.jrnn.backend}, {@code dev.jrnn.data}, {@code dev.jrnn.nn},
 * {@code dev.jrnn.train}.
 */
package dev.jrnn.io;
