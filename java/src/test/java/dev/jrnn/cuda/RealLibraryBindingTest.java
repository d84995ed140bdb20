package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.RnnSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Panama bindings against NVIDIA's own cuDNN and cuBLAS, where the usual search finds them
 * (for instance {@code JRNN_CUDNN_PATH} and {@code JRNN_CUBLAS_PATH} set to a folder of the
 * libraries, as README.md's "GPU backend" section says). The fake libraries the other GPU tests use
 * were written from the same reading of the headers as the bindings, so they cannot catch a wrong
 * symbol name, a wrong enum value or an argument combination cuDNN refuses; the real libraries can,
 * and most of that needs no GPU: every function is bound at load, and cuDNN checks the RNN, RNN-data
 * and tensor descriptors on the host. Skipped, with a message, where no real library is found (and
 * in the fake-device run). Tagged {@code gpu} so that {@code scripts/gpu-check.sh run} runs it too,
 * against the GPU machine's libraries.
 */
@Tag("gpu")
@SuppressWarnings("restricted")
class RealLibraryBindingTest {

    /** The real library's file, or a skip with the reason (none found, or only the fakes). */
    private static Path realLibrary(LibraryFinder.Library library) {
        LibraryFinder.Found found;
        try {
            found = new LibraryFinder(LibraryFinder.systemEnvironment()).find(library);
        } catch (CudaUnavailableException e) {
            System.out.println("SKIPPED: no real " + library.name() + ": " + e.getMessage().lines().findFirst().orElse(""));
            Assumptions.abort("no real " + library.name() + " found: " + e.getMessage());
            throw e;
        }
        // NB: jrnn's fakes export their test hooks; NVIDIA's libraries do not
        boolean fake;
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup lib = SymbolLookup.libraryLookup(found.file(), a);
            fake = lib.find("jrnn_fake_cudnn_live_objects").isPresent() || lib.find("jrnn_fake_cublas_live_handles").isPresent();
        }
        if (fake) {
            System.out.println("SKIPPED: the " + library.name() + " found is jrnn's fake (" + found.file() + ")");
            Assumptions.abort("the " + library.name() + " found is the fake one: " + found.file());
        }
        return found.file();
    }

    @Test
    void realCudnnBindsEveryFunctionAndAcceptsJrnnsDescriptors() {
        CudnnLibrary cudnn = CudnnLibrary.open(realLibrary(LibraryFinder.CUDNN));
        assertTrue(CudnnLibrary.major(cudnn.version) >= 8, "cuDNN " + CudnnLibrary.versionString(cudnn.version));
        for (String c : cudnn.companions) assertFalse(c.contains("not loaded"), "companion library: " + c);
        System.out.println("real cuDNN " + CudnnLibrary.versionString(cudnn.version) + " at " + cudnn.file
                + " (CUDA runtime " + cudnn.cudartVersion + ")");

        // Every configuration jrnn's RnnPlan makes, as PyTorch runs cuDNN: each algorithm auto or
        // -Djrnn.cuda.rnnAlgo can pick, LSTM and GRU with double bias, padded I/O enabled,
        // sequence-major unpacked data; the notebook's shapes (one layer and the stacked models'
        // four) and the GPU tests' batches; unidirectional and CUDNN_BIDIRECTIONAL (y of 2H, states
        // of 2 * layers), every sequence full length or of its own length (seqLengthArray with 1,
        // T and lengths between, and a padding fill). cuDNN validates the descriptors on the host, with no
        // handle; the size queries need a handle, so a GPU: they run where one is (gpu-check).
        MemorySegment dropout = cudnn.createDropoutDescriptor();
        MemorySegment handle = CudaSupport.unavailableReason() == null ? cudnn.create() : null;
        if (handle == null) System.out.println("real cuDNN: no GPU here, so the weight/work/reserve size queries are not made");
        else cudnn.setNoDropout(dropout, handle);   // NB: as the engine sets it; the size queries read it
        int checked = 0;
        try {
            for (int algo : RnnPlan.ALGORITHMS) for (boolean lstm : new boolean[] {true, false}) {
                for (int[] fh : new int[][] {{28, 32}, {28, 64}, {64, 64}, {32, 32}}) {
                    for (int batch : new int[] {1, 7, 256}) for (int layers : new int[] {1, 4}) for (boolean bi : new boolean[] {false, true}) {
                        int dirs = bi ? 2 : 1;
                        int[] lengths = new int[batch];
                        for (int b = 0; b < batch; b++) lengths[b] = b % 3 == 0 ? 28 : b % 3 == 1 ? 1 : 1 + (b * 7) % 28;
                        MemorySegment rnn = cudnn.createRnnDescriptor();
                        MemorySegment x = cudnn.createRnnDataDescriptor(), y = cudnn.createRnnDataDescriptor();
                        MemorySegment h = cudnn.createTensorDescriptor();
                        try {
                            String what = RnnPlan.algoName(algo) + " " + (lstm ? "LSTM" : "GRU") + " F " + fh[0] + " H " + fh[1]
                                    + " B " + batch + " layers " + layers + (bi ? " bidirectional" : "");
                            assertDoesNotThrow(() -> cudnn.setRnn(rnn, algo, lstm ? CudnnLibrary.CUDNN_LSTM : CudnnLibrary.CUDNN_GRU,
                                    CudnnLibrary.CUDNN_RNN_DOUBLE_BIAS, fh[0], fh[1], layers, bi, dropout), what);
                            assertDoesNotThrow(() -> cudnn.setRnnData(x, 28, batch, fh[0], lengths), what + " with lengths");
                            assertDoesNotThrow(() -> cudnn.setRnnData(y, 28, batch, dirs * fh[1], lengths), what + " with lengths");
                            assertDoesNotThrow(() -> cudnn.setRnnData(x, 28, batch, fh[0]), what);
                            assertDoesNotThrow(() -> cudnn.setRnnData(y, 28, batch, dirs * fh[1]), what);
                            cudnn.setTensor(h, dirs * layers, batch, fh[1]);
                            assertArrayEquals(new int[] {dirs * layers, batch, fh[1]}, cudnn.tensorDims(h), what);
                            if (handle != null) {
                                long weights = cudnn.weightSpaceSize(handle, rnn);
                                int g = lstm ? 4 : 3, f = fh[0], u = fh[1];
                                // double bias: per layer G*H*(F or H) + G*H*H + 2*G*H floats, at least (cuDNN may pad)
                                long canonical = 0;
                                for (int l = 0; l < layers; l++) canonical += (long) dirs * g * u * ((l == 0 ? f : dirs * u) + u + 2);
                                assertTrue(weights >= 4 * canonical, what + ": weight space " + weights + " bytes < " + 4 * canonical);
                                long[] training = cudnn.tempSpaceSizes(handle, rnn, CudnnLibrary.CUDNN_FWD_MODE_TRAINING, x);
                                long[] inference = cudnn.tempSpaceSizes(handle, rnn, CudnnLibrary.CUDNN_FWD_MODE_INFERENCE, x);
                                assertTrue(training[1] > 0, what + ": a training reserve of " + training[1] + " bytes");
                                assertTrue(training[0] >= 0 && inference[0] >= 0, what + ": work spaces " + training[0] + ", " + inference[0]);
                            }
                            checked++;
                        } finally {
                            cudnn.destroyTensorDescriptor(h);
                            cudnn.destroyRnnDataDescriptor(y);
                            cudnn.destroyRnnDataDescriptor(x);
                            cudnn.destroyRnnDescriptor(rnn);
                        }
                    }
                }
            }
            assertEquals(RnnPlan.ALGORITHMS.length * 2 * 4 * 3 * 2 * 2, checked);
            System.out.println("real cuDNN accepted " + checked + " RNN configurations"
                    + (handle == null ? " (descriptors only)" : " (descriptors and their size queries)"));

            // A sequence length outside [0, maxSeqLength] is refused on the host, as the fake does
            MemorySegment data = cudnn.createRnnDataDescriptor();
            try {
                for (int[] bad : new int[][] {{28, 29}, {-1, 28}}) {
                    CudaException e = assertThrows(CudaException.class, () -> cudnn.setRnnData(data, 28, 2, 4, bad));
                    assertTrue(e.getMessage().contains("CUDNN_STATUS_BAD_PARAM"), e.getMessage());
                }
            } finally {
                cudnn.destroyRnnDataDescriptor(data);
            }

            // What cuDNN refuses comes back as an exception naming the call and cuDNN's status.
            MemorySegment rnn = cudnn.createRnnDescriptor();
            try {
                CudaException e = assertThrows(CudaException.class,
                        () -> cudnn.setRnn(rnn, CudnnLibrary.CUDNN_RNN_ALGO_STANDARD, CudnnLibrary.CUDNN_LSTM,
                                CudnnLibrary.CUDNN_RNN_DOUBLE_BIAS, 28, 0, 1, dropout));
                assertTrue(e.getMessage().contains("cudnnSetRNNDescriptor_v8(LSTM, input 28, hidden 0)")
                        && e.getMessage().contains("CUDNN_STATUS_BAD_PARAM"), e.getMessage());
                System.out.println("real cuDNN refusal: " + e.getMessage());
            } finally {
                cudnn.destroyRnnDescriptor(rnn);
            }
        } finally {
            cudnn.destroyDropoutDescriptor(dropout);
            if (handle != null) cudnn.destroy(handle);
        }

        // With a GPU: every configuration's weight mapping (cudnnGetRNNWeightParams: each canonical
        // matrix and bias found once, nothing overlapping, the LSTM's recurrent bias unmapped), the
        // check RnnPlan makes, and whether cuDNN's layout is the canonical one.
        if (handle != null) {
            String old = System.setProperty("jrnn.cuda.rnnImpl", "cudnn");
            try (CudaBackend be = CudaBackend.create()) {
                StringBuilder layouts = new StringBuilder();
                for (int algo : RnnPlan.ALGORITHMS) for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
                    for (int[] fh : new int[][] {{28, 32}, {28, 64}}) for (int layers : new int[] {1, 4}) for (boolean bi : new boolean[] {false, true}) {
                        RnnSpec spec = new RnnSpec(cell, fh[0], fh[1], dev.jrnn.backend.Activation.TANH, layers, bi);
                        try (RnnPlan p = assertDoesNotThrow(() -> be.rnn.newPlan(spec, 7, 28, algo), RnnPlan.algoName(algo) + " " + spec)) {
                            layouts.append(RnnPlan.algoName(algo)).append(' ').append(spec.cell()).append(fh[1]).append('x')
                                    .append(layers).append(bi ? " bidirectional" : "").append(p.identity ? " canonical" : " mapped")
                                    .append("; ");
                            if (algo != CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H) {   // NB: auto never runs it on them
                                p.useLengths(new int[] {28, 1, 13, 28, 2, 27, 5});   // descriptors and sizes for other lengths
                            }
                        }
                    }
                }
                System.out.println("real cuDNN weight layouts: " + layouts);
            } finally {
                if (old == null) System.clearProperty("jrnn.cuda.rnnImpl");
                else System.setProperty("jrnn.cuda.rnnImpl", old);
            }
        }

        // Without a driver, a handle cannot be made: the error says which call and why.
        if (CudaSupport.unavailableReason() != null) {
            CudaException e = assertThrows(CudaException.class, cudnn::create);
            assertTrue(e.getMessage().contains("cudnnCreate") && e.getMessage().contains("CUDNN_STATUS_"), e.getMessage());
            System.out.println("real cuDNN without a GPU: " + e.getMessage());
        } else {
            cudnn.destroy(cudnn.create());
        }
    }

    @Test
    void realCublasBindsEveryFunction() {
        CublasLibrary cublas = CublasLibrary.open(realLibrary(LibraryFinder.CUBLAS));
        assertTrue(cublas.version.matches("1[2-9]\\.\\d+\\.\\d+"), "cuBLAS version " + cublas.version);
        if (cublas.companion != null) assertFalse(cublas.companion.contains("not loaded"), cublas.companion);
        System.out.println("real cuBLAS " + cublas.version + " at " + cublas.file);
        if (CudaSupport.unavailableReason() != null) {
            CudaException e = assertThrows(CudaException.class, cublas::create);
            assertTrue(e.getMessage().contains("cublasCreate_v2") && e.getMessage().contains("CUBLAS_STATUS_"), e.getMessage());
            System.out.println("real cuBLAS without a GPU: " + e.getMessage());
        } else {
            cublas.destroy(cublas.create());
        }
    }
}
