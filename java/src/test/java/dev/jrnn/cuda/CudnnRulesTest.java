package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Rules of cuDNN's API reference that jrnn's configuration depends on, checked against whichever
 * cuDNN the backend loaded: the fake one (which enforces them, citing the reference) or a real
 * one on a GPU. jrnn runs cuDNN as PyTorch does: double bias, padded I/O enabled, sequence-major
 * unpacked data.
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
}
