/**
 * Training: {@link dev.jrnn.train.Network} (a {@code Sequential} bound to a backend, forward and
 * backward), {@link dev.jrnn.train.Trainer} (the epoch loop, shuffling, Adam, evaluation, the
 * listeners that hear each epoch) and its configuration and metrics.
 *
 * <p>May import: {@code dev.jrnn.backend}, {@code dev.jrnn.data}, {@code dev.jrnn.nn}.
 */
package dev.jrnn.train;
