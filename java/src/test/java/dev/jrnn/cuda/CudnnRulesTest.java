package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Rules of cuDNN's API reference that jrnn's configuration depends on, checked against whichever
 * cuDNN the backend loaded: the fake one (which enforces them, citing the reference) or a real
 * one on a GPU. jrnn runs cuDNN as PyTorch does: double bias, padded I/O enabled, sequence-major
 * unpacked data; per-sample lengths in the data descriptors' {@code seqLengthArray} and the calls'
 * device {@code devSeqLengths}; bidirectional layers as {@code CUDNN_BIDIRECTIONAL}.
 */
@Tag("gpu")
class CudnnRulesTest {
    private static CudaBackend cuda;

    @BeforeAll
    static void open() {
        GpuSupport.requireDevice();
        cuda = CudaBackend.create();
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    /** The training temp-space query for a one-layer LSTM(32) on (T 28, B 7, F 28) data, under {@code auxFlags}. */
    private static void query(int auxFlags) {
        CudnnLibrary dnn = cuda.rnn.cudnn;
        MemorySegment rnn = dnn.createRnnDescriptor(), x = dnn.createRnnDataDescriptor();
        try {
            dnn.setRnn(rnn, CudnnLibrary.CUDNN_RNN_ALGO_STANDARD, CudnnLibrary.CUDNN_LSTM, CudnnLibrary.CUDNN_RNN_DOUBLE_BIAS,
                    28, 32, 1, cuda.rnn.noDropout, auxFlags);
            dnn.setRnnData(x, 28, 7, 28);   // sequence-major unpacked
            dnn.tempSpaceSizes(cuda.rnn.handle, rnn, CudnnLibrary.CUDNN_FWD_MODE_TRAINING, x);
        } finally {
            dnn.destroyRnnDataDescriptor(x);
            dnn.destroyRnnDescriptor(rnn);
        }
    }

    @Test
    void unpackedDataIsPermittedOnlyWithPaddedIo() {
        assertDoesNotThrow(() -> query(CudnnLibrary.CUDNN_RNN_PADDED_IO_ENABLED));
        // cudnnSetRNNDescriptor_v8: "When the padded I/O is enabled, layouts ..._SEQ_MAJOR_UNPACKED and
        // ..._BATCH_MAJOR_UNPACKED are permitted in RNN data descriptors" (and only then). Where a
        // real cuDNN refuses it (here, or only later in cudnnRNNForward) is recorded, not asserted.
        if (!NativeBuild.fakeDevice()) {
            try {
                query(CudnnLibrary.CUDNN_RNN_PADDED_IO_DISABLED);
                System.out.println("real cuDNN: the temp-space query took unpacked data without padded I/O");
            } catch (CudaException e) {
                System.out.println("real cuDNN without padded I/O: " + e.getMessage());
            }
            return;
        }
        CudaException e = assertThrows(CudaException.class, () -> query(CudnnLibrary.CUDNN_RNN_PADDED_IO_DISABLED));
        assertTrue(e.getMessage().contains("CUDNN_STATUS_BAD_PARAM") || e.getMessage().contains("CUDNN_STATUS_NOT_SUPPORTED"),
                e.getMessage());
        System.out.println("cuDNN without padded I/O: " + e.getMessage());
    }

    @Test
    void theFakeTakesOnlyTheDocumentedAuxFlag() {
        Assumptions.assumeTrue(NativeBuild.fakeDevice(), "what a real cuDNN does with undocumented auxFlags bits is its own business");
        CudaException e = assertThrows(CudaException.class, () -> query(CudnnLibrary.CUDNN_RNN_PADDED_IO_ENABLED | 4));
        assertTrue(e.getMessage().contains("auxFlags 5"), e.getMessage());
    }

    /** A data descriptor set with {@code lengths} in {@code layout}, then destroyed; throws what cuDNN answered. */
    private static void data(int layout, int steps, int[] lengths) {
        CudnnLibrary dnn = cuda.rnn.cudnn;
        MemorySegment d = dnn.createRnnDataDescriptor();
        try {
            dnn.setRnnData(d, layout, steps, lengths.length, 4, lengths);
        } finally {
            dnn.destroyRnnDataDescriptor(d);
        }
    }

    @Test
    void sequenceLengthsAreInZeroToMaxSeqLength() {
        int unpacked = CudnnLibrary.CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED;
        // cudnnSetRNNDataDescriptor: "Each element in seqLengthArray must be greater than or equal to
        // 0 but less than or equal to maxSeqLength" (cuDNN 9 on the host takes 0 in an unpacked layout)
        assertDoesNotThrow(() -> data(unpacked, 5, new int[] {5, 1, 3, 0}));
        for (int[] bad : new int[][] {{5, 6}, {-1, 5}}) {
            CudaException e = assertThrows(CudaException.class, () -> data(unpacked, 5, bad));
            assertTrue(e.getMessage().contains("CUDNN_STATUS_BAD_PARAM"), e.getMessage());
        }
    }

    @Test
    void thePackedLayoutTakesSortedNonZeroLengthsUpToMaxSeqLength() {
        int packed = CudnnLibrary.CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED;
        // "In the packed layout, the elements should be sorted in descending order"; cuDNN 9 also
        // refuses a 0 and a longest length other than maxSeqLength there (checked on the host)
        assertDoesNotThrow(() -> data(packed, 5, new int[] {5, 3, 3, 1}));
        for (int[] bad : new int[][] {{3, 5}, {5, 0}, {4, 3}}) {
            CudaException e = assertThrows(CudaException.class, () -> data(packed, 5, bad), java.util.Arrays.toString(bad));
            assertTrue(e.getMessage().contains("CUDNN_STATUS_BAD_PARAM"), e.getMessage());
        }
    }

    /**
     * One inference pass of a GRU(F 4, H 3), B 3, T 5, on raw cuDNN calls, set up by
     * {@code setUp} from the defaults: what the rule tests below change.
     */
    private static final class Call {
        int algo = CudnnLibrary.CUDNN_RNN_ALGO_STANDARD, yVector = 3, hLayers = 1;
        boolean bidirectional;
        int[] descLengths = {5, 2, 4}, devLengths = {5, 2, 4};

        void run() {
            CudnnLibrary dnn = cuda.rnn.cudnn;
            int B = 3, T = 5, F = 4, H = 3;
            MemorySegment rnn = dnn.createRnnDescriptor(), x = dnn.createRnnDataDescriptor(), y = dnn.createRnnDataDescriptor();
            MemorySegment h = dnn.createTensorDescriptor();
            Tensor[] held = new Tensor[6];
            try {
                dnn.setRnn(rnn, algo, CudnnLibrary.CUDNN_GRU, CudnnLibrary.CUDNN_RNN_DOUBLE_BIAS, F, H, 1, bidirectional,
                        cuda.rnn.noDropout);
                dnn.setRnnData(x, T, B, F, descLengths);
                dnn.setRnnData(y, T, B, yVector, descLengths);
                dnn.setTensor(h, hLayers, B, H);
                long weights = dnn.weightSpaceSize(cuda.rnn.handle, rnn);
                long work = dnn.tempSpaceSizes(cuda.rnn.handle, rnn, CudnnLibrary.CUDNN_FWD_MODE_INFERENCE, x)[0];
                held[0] = cuda.allocate(B * T * F);
                held[1] = cuda.allocate(B * T * Math.max(yVector, 2 * H));
                held[2] = cuda.allocate((int) (weights / 4));
                held[3] = cuda.allocate((int) Math.max(1, work / 4));
                held[4] = cuda.allocate(B);
                float[] bits = new float[B];   // int32 lengths, written bit for bit
                for (int b = 0; b < B; b++) bits[b] = Float.intBitsToFloat(devLengths[b]);
                cuda.write(bits, 0, held[4], B);
                held[5] = cuda.allocate(2 * B * H);
                cuda.synchronize();
                long hy = ((CudaTensor) held[5]).address();
                dnn.forward(cuda.rnn.handle, rnn, CudnnLibrary.CUDNN_FWD_MODE_INFERENCE, ((CudaTensor) held[4]).address(), x,
                        ((CudaTensor) held[0]).address(), y, ((CudaTensor) held[1]).address(), h, 0, hy, h, 0, 0, weights,
                        ((CudaTensor) held[2]).address(), work, ((CudaTensor) held[3]).address(), 0, 0);
                cuda.synchronize();
            } finally {
                for (Tensor t : held) if (t != null) t.close();
                dnn.destroyTensorDescriptor(h);
                dnn.destroyRnnDataDescriptor(y);
                dnn.destroyRnnDataDescriptor(x);
                dnn.destroyRnnDescriptor(rnn);
            }
        }
    }

    /** The default call runs; {@code change} makes cuDNN refuse it (asserted on the fake, recorded on a real cuDNN). */
    private static void refused(String rule, Consumer<Call> change) {
        assertDoesNotThrow(() -> new Call().run());
        Call c = new Call();
        change.accept(c);
        if (!NativeBuild.fakeDevice()) {
            try {
                c.run();
                System.out.println("real cuDNN took a call against the rule: " + rule);
            } catch (CudaException e) {
                System.out.println("real cuDNN, " + rule + ": " + e.getMessage());
            }
            return;
        }
        CudaException e = assertThrows(CudaException.class, c::run, rule);
        assertTrue(e.getMessage().contains("CUDNN_STATUS_BAD_PARAM") || e.getMessage().contains("CUDNN_STATUS_NOT_SUPPORTED"),
                e.getMessage());
        System.out.println("cuDNN, " + rule + ": " + e.getMessage());
    }

    @Test
    void devSeqLengthsAreTheDescriptorsLengths() {
        // cudnnRNNForward, devSeqLengths: "A copy of seqLengthArray from xDesc or yDesc RNN data descriptor"
        refused("devSeqLengths differ from seqLengthArray", c -> c.devLengths = new int[] {5, 3, 4});
    }

    @Test
    void aBidirectionalRnnDoublesTheOutputAndTheStates() {
        // yDesc's vectorSize is hiddenSize, doubled for CUDNN_BIDIRECTIONAL; hDesc's first dimension
        // numLayers, 2 * numLayers for CUDNN_BIDIRECTIONAL
        Call bi = new Call();
        bi.bidirectional = true;
        bi.yVector = 6;
        bi.hLayers = 2;
        assertDoesNotThrow(bi::run);
        refused("bidirectional y of H features", c -> {
            c.bidirectional = true;
            c.hLayers = 2;
        });
        refused("bidirectional hDesc of numLayers", c -> {
            c.bidirectional = true;
            c.yVector = 6;
        });
        refused("unidirectional y of 2H features", c -> c.yVector = 6);
    }

    @Test
    void smallHAlgorithmRefusesVariableLengths() {
        // PyTorch bails out of CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H for packed (variable-length)
        // input (pytorch/pytorch#73211), as the engine's auto does (RnnEngine#algoFor)
        Call full = new Call();
        full.algo = CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H;
        full.descLengths = full.devLengths = new int[] {5, 5, 5};
        assertDoesNotThrow(full::run);
        refused("persist-static-small-h with variable lengths", c -> c.algo = CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H);
        assertEquals(CudnnLibrary.CUDNN_RNN_ALGO_STANDARD, cuda.rnn.algoFor(new dev.jrnn.backend.RnnSpec(
                dev.jrnn.backend.RnnSpec.Cell.GRU, 4, 3, dev.jrnn.backend.Activation.TANH), new int[] {5, 2, 4}, 5));
    }

    @Test
    void weightParamsNumberPseudoLayers() {
        // cudnnGetRNNWeightParams: a bidirectional RNN has twice as many pseudo-layers as layers
        // (0: layer 0 forward, 1: layer 0 backward, 2: layer 1 forward, ...); one past is refused
        CudnnLibrary dnn = cuda.rnn.cudnn;
        MemorySegment rnn = dnn.createRnnDescriptor(), m = dnn.createTensorDescriptor(), b = dnn.createTensorDescriptor();
        try {
            dnn.setRnn(rnn, CudnnLibrary.CUDNN_RNN_ALGO_STANDARD, CudnnLibrary.CUDNN_LSTM, CudnnLibrary.CUDNN_RNN_DOUBLE_BIAS,
                    4, 3, 2, true, cuda.rnn.noDropout);
            long bytes = dnn.weightSpaceSize(cuda.rnn.handle, rnn);
            try (Tensor w = cuda.allocate((int) (bytes / 4))) {
                long base = ((CudaTensor) w).address();
                for (int pseudo = 0; pseudo < 4; pseudo++) {
                    long[] addr = dnn.weightParams(cuda.rnn.handle, rnn, bytes, base, pseudo, 0, m, b);
                    assertTrue(addr[0] != 0, "pseudo-layer " + pseudo);
                    // layer 1 reads both directions of layer 0: W is (H, 2H)
                    assertEquals(pseudo < 2 ? 3 * 4 : 3 * 6, java.util.Arrays.stream(dnn.tensorDims(m)).reduce(1, (p, q) -> p * q));
                }
                if (NativeBuild.fakeDevice()) {
                    assertThrows(CudaException.class, () -> dnn.weightParams(cuda.rnn.handle, rnn, bytes, base, 4, 0, m, b));
                }
            }
        } finally {
            dnn.destroyTensorDescriptor(b);
            dnn.destroyTensorDescriptor(m);
            dnn.destroyRnnDescriptor(rnn);
        }
    }
}
