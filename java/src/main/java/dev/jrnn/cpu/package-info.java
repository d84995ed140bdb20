/**
 * The CPU backends: {@code ReferenceBackend} (plain float64 loops, never optimised, the ground
 * truth of every test) and {@code VectorBackend} (float32, Vector API, multi-threaded over the
 * batch, deterministic for a thread count), with their GEMM, math and Philox lanes, and
 * {@code ReserveBackend}, which gives both the recurrent ops' trace contract. Internal: reach them
 * through {@code Backends.cpu()} and {@code Backends.reference()}.
 *
 * <p>May import: {@code dev.jrnn.backend}.
 */
package dev.jrnn.cpu;
