/**
 * The ground floor: the {@link dev.jrnn.backend.Backend} interface (every op the layers and the
 * trainer need: memory, GEMM, the recurrent layers' forward and backward with their
 * {@link dev.jrnn.backend.RnnTrace}, dropout, softmax cross-entropy, Adam), its tensors, the
 * recurrent layer shape ({@link dev.jrnn.backend.RnnSpec}, {@link dev.jrnn.backend.RnnState}),
 * the Philox generator shared with the CUDA kernels, and the choice of a backend
 * ({@link dev.jrnn.backend.Backends}) through {@link dev.jrnn.backend.BackendProvider}s.
 *
 * <p>May import: nothing of jrnn. The backends (the {@code cpu} and {@code cuda} packages) sit on
 * top and are found through the providers, so this package never names them.
 */
package dev.jrnn.backend;
