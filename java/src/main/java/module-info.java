/**
 * jrnn: LSTM and GRU training in Java, on NVIDIA GPUs through cuDNN and on the CPU through the
 * Vector API, with the same numerics on both.
 *
 * <p>Exported (the public API, versioned semantically; see the README):
 * <ul>
 *   <li>{@link dev.jrnn.ops}: standalone LSTM/GRU layers and kernels (dropout, softmax,
 *       softmax + cross-entropy, Adam) over your own {@code float[]}, {@code FloatBuffer},
 *       {@code MemorySegment} or device memory, for your own training loop;</li>
 *   <li>{@link dev.jrnn.backend}: the op interface every backend implements, its tensors and
 *       backend selection, including {@link dev.jrnn.backend.GpuBackend} for caller-owned device
 *       memory and streams;</li>
 *   <li>{@link dev.jrnn.nn}, {@link dev.jrnn.train}, {@link dev.jrnn.data} and {@link dev.jrnn.io}:
 *       Keras-like models, the trainer, datasets and checkpoints.</li>
 * </ul>
 * Everything else ({@code dev.jrnn.cpu}, {@code dev.jrnn.cuda}, {@code dev.jrnn.experiment},
 * {@code dev.jrnn.cli}) is internal and may change in any release.
 *
 * <p>Run with {@code --enable-native-access=dev.jrnn,jcuda} (the CUDA backend calls cuDNN and
 * cuBLAS through the foreign function API and the driver through JCuda's JNI library).
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.jrnn {
    // NB: transitive because GpuBackend's methods take JCuda's CUdeviceptr and CUstream.
    requires transitive jcuda;
    requires jdk.incubator.vector;
    // the CLI's and the reports' libraries: optional Maven dependencies, so static here
    requires static info.picocli;
    requires me.tongfei.progressbar;
    requires com.google.gson;
    requires static org.knowm.xchart;
    requires static java.desktop;   // only the CLI (PNG input) and the reports' charts draw
    requires java.logging;
    requires static java.management;   // only jrnn bench (waits for a quiet JIT before timing)
    requires java.net.http;

    exports dev.jrnn.ops;
    exports dev.jrnn.backend;
    exports dev.jrnn.nn;
    exports dev.jrnn.train;
    exports dev.jrnn.data;
    exports dev.jrnn.io;

    // NB: backend finds the backends through this service (backend depends on none of them); on
    // the class path META-INF/services/dev.jrnn.backend.BackendProvider lists the same classes
    uses dev.jrnn.backend.BackendProvider;
    provides dev.jrnn.backend.BackendProvider with
            dev.jrnn.cuda.CudaBackendProvider, dev.jrnn.cpu.CpuBackendProvider, dev.jrnn.cpu.ReferenceBackendProvider;

    // picocli reads and writes the commands' annotated fields reflectively
    opens dev.jrnn.cli to info.picocli;
}
