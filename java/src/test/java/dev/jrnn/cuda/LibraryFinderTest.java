package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Library discovery over fake folder trees (empty files with the libraries' names): the
 * documented order, version preference within a folder, explicit settings, and the error that
 * lists every place looked.
 */
class LibraryFinderTest {
    @TempDir
    Path root;

    private final Map<String, String> env = new HashMap<>(), props = new HashMap<>();

    private Path lib(String dir, String name) throws IOException {
        Path d = Files.createDirectories(root.resolve(dir));
        return Files.createFile(d.resolve(name));
    }

    private LibraryFinder finder(List<Path> systemDirs, List<Path> pythonRoots) {
        return new LibraryFinder(new LibraryFinder.Environment(props::get, env::get, systemDirs, pythonRoots));
    }

    private LibraryFinder finder() {
        return finder(List.of(root.resolve("usr/lib"), root.resolve("usr/local/lib")), List.of(root.resolve("venv")));
    }

    @Test
    void followsTheDocumentedOrder() throws IOException {
        Path wheel = lib("venv/lib/python3.12/site-packages/nvidia/cudnn/lib", "libcudnn.so.9");
        assertEquals(wheel, finder().find(LibraryFinder.CUDNN).file(), "python wheels come last but are found");
        Path system = lib("usr/local/lib", "libcudnn.so.9");
        assertEquals(system, finder().find(LibraryFinder.CUDNN).file(), "system folders before wheels");
        Path system1 = lib("usr/lib", "libcudnn.so.9");
        assertEquals(system1, finder().find(LibraryFinder.CUDNN).file(), "system folders in their order");
        Path cudaPath = lib("cuda-path/targets/x86_64-linux/lib", "libcudnn.so.9");
        env.put("CUDA_PATH", root.resolve("cuda-path").toString());
        assertEquals(cudaPath, finder().find(LibraryFinder.CUDNN).file(), "$CUDA_PATH before system folders");
        Path cudaHome = lib("cuda-home/lib64", "libcudnn.so.9");
        env.put("CUDA_HOME", root.resolve("cuda-home").toString());
        assertEquals(cudaHome, finder().find(LibraryFinder.CUDNN).file(), "$CUDA_HOME before $CUDA_PATH");
        Path ld = lib("ld2", "libcudnn.so.9");
        env.put("LD_LIBRARY_PATH", root.resolve("ld1") + ":" + root.resolve("ld2"));
        LibraryFinder.Found found = finder().find(LibraryFinder.CUDNN);
        assertEquals(ld, found.file(), "LD_LIBRARY_PATH before $CUDA_HOME");
        assertEquals("LD_LIBRARY_PATH", found.place().source());
        Path ld1 = lib("ld1", "libcudnn.so.8");
        assertEquals(ld1, finder().find(LibraryFinder.CUDNN).file(), "the first folder wins, even with an older major");
        Path envFile = lib("explicit-env", "libcudnn.so.9");
        env.put("JRNN_CUDNN_PATH", envFile.getParent().toString());
        assertEquals(envFile, finder().find(LibraryFinder.CUDNN).file(), "$JRNN_CUDNN_PATH (a folder) before everything");
        Path propFile = lib("explicit-prop", "libcudnn-custom.so");
        props.put("jrnn.cudnn.path", propFile.toString());
        assertEquals(propFile, finder().find(LibraryFinder.CUDNN).file(), "-Djrnn.cudnn.path (a file) first of all");
    }

    @Test
    void prefersTheNewerMajorWithinAFolder() throws IOException {
        lib("usr/lib", "libcublas.so.12");
        Path v13 = lib("usr/lib", "libcublas.so.13");
        assertEquals(v13, finder().find(LibraryFinder.CUBLAS).file());
        Files.delete(v13);
        assertTrue(finder().find(LibraryFinder.CUBLAS).file().endsWith("libcublas.so.12"));
    }

    @Test
    void searchesEveryNvidiaWheelFolderAndTheNewestPythonFirst() throws IOException {
        Path cu13 = lib("venv/lib/python3.9/site-packages/nvidia/cu13/lib", "libcublas.so.13");
        assertEquals(cu13, finder().find(LibraryFinder.CUBLAS).file(), "any nvidia/*/lib folder");
        Path own = lib("venv/lib/python3.9/site-packages/nvidia/cublas/lib", "libcublas.so.13");
        assertEquals(own, finder().find(LibraryFinder.CUBLAS).file(), "the package's own folder first");
        Path newer = lib("venv/lib/python3.12/dist-packages/nvidia/cublas/lib", "libcublas.so.13");
        assertEquals(newer, finder().find(LibraryFinder.CUBLAS).file(), "python3.12 before python3.9");
    }

    @Test
    void notFoundNamesTheFilesAndEveryPlaceLooked() {
        env.put("LD_LIBRARY_PATH", root.resolve("a") + ":" + root.resolve("b"));
        env.put("CUDA_HOME", root.resolve("cuda").toString());
        CudaLibraryException e = assertThrows(CudaLibraryException.class, () -> finder().find(LibraryFinder.CUDNN));
        assertEquals(CudaLibraryException.Problem.NOT_FOUND, e.problem());
        assertEquals("cuDNN", e.library());
        assertEquals(List.of("libcudnn.so.9", "libcudnn.so.8"), e.fileNames());
        String m = e.getMessage();
        for (String s : new String[] {"libcudnn.so.9", "libcudnn.so.8", "-Djrnn.cudnn.path", "$JRNN_CUDNN_PATH",
                "LD_LIBRARY_PATH: " + root.resolve("a"), "LD_LIBRARY_PATH: " + root.resolve("b"),
                "$CUDA_HOME: " + root.resolve("cuda/lib64"), "system: " + root.resolve("usr/local/lib"),
                "site-packages/nvidia/cudnn/lib", root.resolve("venv").toString()}) {
            assertTrue(m.contains(s), "message lacks '" + s + "': " + m);
        }
        // 2 explicit settings, 2 LD_LIBRARY_PATH folders, 3 under $CUDA_HOME, 2 system folders, the wheel roots
        assertEquals(2 + 2 + 3 + 2 + 1, e.placesLooked().size(), e.placesLooked().toString());
    }

    @Test
    void aWrongExplicitSettingIsAnErrorNotAFallback() throws IOException {
        lib("usr/lib", "libcudnn.so.9");
        Path empty = Files.createDirectories(root.resolve("empty"));
        env.put("JRNN_CUDNN_PATH", empty.toString());
        CudaLibraryException e = assertThrows(CudaLibraryException.class, () -> finder().find(LibraryFinder.CUDNN));
        assertTrue(e.getMessage().contains("$JRNN_CUDNN_PATH=" + empty) && e.getMessage().contains("libcudnn.so.9"),
                e.getMessage());
        props.put("jrnn.cudnn.path", root.resolve("nope/libcudnn.so.9").toString());
        e = assertThrows(CudaLibraryException.class, () -> finder().find(LibraryFinder.CUDNN));
        assertTrue(e.getMessage().contains("-Djrnn.cudnn.path=") && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void theSystemEnvironmentLooksInTheUsualPlaces() {
        LibraryFinder.Environment e = LibraryFinder.systemEnvironment();
        assertTrue(e.systemDirs().contains(Path.of("/usr/local/cuda/lib64")));
        assertTrue(e.pythonRoots().contains(Path.of("/usr")));
    }
}
