/**
 * The notebook's whole experiment: sweeps over models and seeds ({@code Sweep}), their resumable
 * state, and their reports (Markdown, JSON, CSV, plots). Internal: the CLI's {@code jrnn sweep}.
 *
 * <p>May import: {@code dev.jrnn.backend}, {@code dev.jrnn.data}, {@code dev.jrnn.nn},
 * {@code dev.jrnn.train}, {@code dev.jrnn.io}.
 */
package dev.jrnn.experiment;
