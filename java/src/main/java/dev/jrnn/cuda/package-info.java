/**
 * The GPU backend. {@code CudaBackend} is a facade over {@code CudaDevice} (the JCuda context and
 * stream, the memory arena, jrnn's kernels from {@code native/*.cu}, events and pinned staging),
 * {@code RnnEngine} (cuDNN's fused LSTM/GRU: plans, algorithm choice and fall-back, weight
 * packing, traces) and {@code FusedRnn} (jrnn's own LSTM/GRU kernels for relu cells); cuBLAS and
 * cuDNN are bound through Panama ({@code CublasLibrary}, {@code CudnnLibrary}), found by
 * {@code LibraryFinder}. Internal: reach it through {@code GpuBackend.open}/{@code attach} or
 * {@code Backends.create("cuda", ...)}.
 *
 * <p>May import: {@code dev.jrnn.backend}.
 */
package dev.jrnn.cuda;
