package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binding cuDNN and cuBLAS through Panama when the file found is not what it should be: each
 * failure is a typed {@link CudaLibraryException} naming the file and what is wrong. (Binding
 * every function is exercised by the @Tag("gpu") tests, against the fake libraries or a GPU.)
 */
class LibraryBindingTest {
    @TempDir
    Path dir;

    @Test
    void anEmptyFileIsNotALibrary() throws IOException {
        Path f = Files.createFile(dir.resolve("libcudnn.so.9"));
        CudaLibraryException e = assertThrows(CudaLibraryException.class, () -> CudnnLibrary.open(f));
        assertEquals(CudaLibraryException.Problem.NOT_LOADABLE, e.problem());
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("0 bytes"), e.getMessage());
        Path b = Files.write(dir.resolve("libcublas.so.13"), "not ELF".getBytes());
        e = assertThrows(CudaLibraryException.class, () -> CublasLibrary.open(b));
        assertTrue(e.getMessage().contains("libcublas.so.13") && e.getMessage().contains("no ELF header"), e.getMessage());
    }

    @Test
    void aLibraryThatDoesNotLoadReportsTheLoadersReason() throws IOException {
        byte[] elf = new byte[64];
        elf[0] = 0x7f;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        Path f = Files.write(dir.resolve("libcudnn.so.9"), elf);
        CudaLibraryException e = assertThrows(CudaLibraryException.class, () -> CudnnLibrary.open(f));
        assertEquals(CudaLibraryException.Problem.NOT_LOADABLE, e.problem());
        assertTrue(e.getMessage().contains("did not load: ") && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void aLibraryWithoutTheFunctionsSaysWhichOneIsMissing() throws IOException {
        Path libm = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
        if (!Files.exists(libm)) libm = Path.of("/usr/lib64/libm.so.6");
        Assumptions.assumeTrue(Files.exists(libm), "no libm.so.6 to stand in for a wrong library");
        Path fake = Files.createSymbolicLink(dir.resolve("libcudnn.so.9"), libm);
        CudaLibraryException e = assertThrows(CudaLibraryException.class, () -> CudnnLibrary.open(fake));
        assertEquals(CudaLibraryException.Problem.UNSUPPORTED, e.problem());
        assertTrue(e.getMessage().contains("lacks cudnnGetVersion") && e.getMessage().contains("cuDNN 8.0 or newer"),
                e.getMessage());
        Path fakeBlas = Files.createSymbolicLink(dir.resolve("libcublas.so.13"), libm);
        e = assertThrows(CudaLibraryException.class, () -> CublasLibrary.open(fakeBlas));
        assertTrue(e.getMessage().contains("lacks cublasGetProperty"), e.getMessage());
    }

    @Test
    void refusalsAreTheBadParameterAndNotSupportedStatusesOfEitherNumbering() {
        assertTrue(CudnnLibrary.isRefusal(9, 3000) && CudnnLibrary.isRefusal(9, 3004) && CudnnLibrary.isRefusal(9, 2000));
        // a caller's bug or a broken install is not a refusal: null/misaligned pointer, size, stream, driver, arch
        for (int code : new int[] {2002, 2003, 2006, 2007, 3005, 3006, 3007, 3008, 3009}) {
            assertTrue(!CudnnLibrary.isRefusal(9, code), "status " + code);
        }
        assertTrue(!CudnnLibrary.isRefusal(9, 5000) && !CudnnLibrary.isRefusal(9, 4000) && !CudnnLibrary.isRefusal(9, 1001));
        assertTrue(CudnnLibrary.isRefusal(8, 9) && CudnnLibrary.isRefusal(8, 3) && CudnnLibrary.isRefusal(8, 5));
        assertTrue(!CudnnLibrary.isRefusal(8, 8) && !CudnnLibrary.isRefusal(8, 4) && !CudnnLibrary.isRefusal(8, 3000));
    }

    @Test
    void theRnnAlgorithmSettingIsCheckedWhenABackendStarts() {
        assertEquals(RnnEngine.ALGO_AUTO, RnnEngine.rnnAlgorithm(null));
        assertEquals(RnnEngine.ALGO_AUTO, RnnEngine.rnnAlgorithm("auto"));
        assertEquals(CudnnLibrary.CUDNN_RNN_ALGO_STANDARD, RnnEngine.rnnAlgorithm(" Standard "));
        assertEquals(CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC, RnnEngine.rnnAlgorithm("persist-static"));
        assertEquals(CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H, RnnEngine.rnnAlgorithm("persist-static-small-h"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RnnEngine.rnnAlgorithm("fast"));
        assertTrue(e.getMessage().contains("-Djrnn.cuda.rnnAlgo=fast")
                && e.getMessage().contains("auto, standard, persist-static or persist-static-small-h"), e.getMessage());
    }

    @Test
    void versionNumbersDecodeForBothEncodings() {
        assertEquals("9.1.0", CudnnLibrary.versionString(90100));
        assertEquals("8.9.6", CudnnLibrary.versionString(8906));
        assertEquals(9, CudnnLibrary.major(91002));
        assertEquals(8, CudnnLibrary.major(8907));
        assertEquals("13.0", Driver.versionString(13000));
        assertEquals("12.4", Driver.versionString(12040));
    }
}
