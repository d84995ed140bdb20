package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Backend selection with and without a usable GPU stack: {@code auto} falls back to the CPU with
 * one line saying what is missing; a forced {@code cuda} that cannot load is an error naming it.
 */
class CudaSelectionTest {

    @Test
    void autoPicksCudaOnlyWhenEveryPieceLoadsAndSaysWhy() {
        List<String> log = new ArrayList<>();
        try (Backend be = Backends.create("auto", 1, log::add)) {
            assertEquals(1, log.size(), log.toString());
            String why = CudaSupport.unavailableSummary();
            if (why == null) {
                assertEquals("cuda", be.name());
            } else {
                assertEquals("cpu", be.name());
                assertTrue(log.get(0).contains("auto: CUDA unavailable: "), log.get(0));
                assertTrue(log.get(0).contains("driver") || log.get(0).contains("cuDNN") || log.get(0).contains("cuBLAS")
                        || log.get(0).contains("kernels"), log.get(0));
                assertEquals(1, log.get(0).lines().count(), "one line: " + log.get(0));
            }
        }
    }

    @Test
    void forcedCudaWithoutTheStackNamesWhatIsMissing() {
        String why = CudaSupport.unavailableReason();
        if (why == null) {
            try (Backend be = Backends.create("cuda", 1, s -> {})) {
                assertEquals("cuda", be.name());
            }
            return;
        }
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Backends.create("cuda", 1, s -> {}));
        assertTrue(e.getMessage().contains("CUDA") && e.getMessage().contains("--backend cpu"), e.getMessage());
        // NB: through the provider: its UnsupportedOperationException, caused by the backend's own exception
        assertTrue(e.getCause() instanceof UnsupportedOperationException
                && e.getCause().getCause() instanceof CudaUnavailableException, String.valueOf(e.getCause()));
        if (!Driver.status().ok()) assertTrue(e.getMessage().contains("driver: "), e.getMessage());
    }

    @Test
    void theDriverProblemIsTheLoadersOneLine() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver-12.6.0\"\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open"
                + " shared object file: No such file or directory\n\tat ...");
        assertEquals("libcuda.so.1: cannot open shared object file: No such file or directory", Driver.linkProblem(e));
        assertEquals("UnsatisfiedLinkError: something else", Driver.linkProblem(new UnsatisfiedLinkError("something else\nmore")));
    }
}
