/**
 * Datasets: the in-memory {@link dev.jrnn.data.Dataset}, the IDX reader (MNIST, Fashion-MNIST),
 * the NumPy {@code .npy} reader for a user's own arrays, the catalogue of known datasets, where
 * they are looked up and their verified download.
 *
 * <p>May import: nothing of jrnn.
 */
package dev.jrnn.data;
