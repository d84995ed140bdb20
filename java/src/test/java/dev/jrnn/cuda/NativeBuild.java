package dev.jrnn.cuda;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tests find native/ and what the Maven build made of it: the kernel sources, the host
 * program kernel_math_check and the fake CUDA libraries (profile cuda-kernels, where nvcc exists).
 */
final class NativeBuild {
    private NativeBuild() {}

    /** The repository's native/ folder. */
    static Path sources() {
        String p = System.getProperty("jrnn.native.dir");
        Path dir = p != null ? Path.of(p) : Path.of(System.getProperty("basedir", "."), "..", "native");
        return dir.toAbsolutePath().normalize();
    }

    /** Whether this build compiled the kernels (nvcc was found): then their absence is a failure. */
    static boolean kernelsBuilt() {
        return Boolean.getBoolean("jrnn.kernels.built");
    }

    /** CMake's build folder of native/. */
    static Path buildDir() {
        String p = System.getProperty("jrnn.native.build");
        return p == null ? Path.of(System.getProperty("basedir", "."), "target", "native-build") : Path.of(p);
    }

    /** The kernel_math_check program, or null when this build has none. */
    static Path kernelMathCheck() {
        Path p = buildDir().resolve("kernel_math_check");
        return Files.isExecutable(p) ? p : null;
    }

    /** The folder of fake libcuda.so.1, libcublas.so.13 and libcudnn.so.9, or null. */
    static Path fakes() {
        Path p = buildDir().resolve("fakes");
        return Files.isRegularFile(p.resolve("libcudnn.so.9")) ? p : null;
    }

    /** Whether this JVM runs against the fake CUDA libraries (surefire execution fake-device). */
    static boolean fakeDevice() {
        return Boolean.getBoolean("jrnn.fakeDevice");
    }
}
