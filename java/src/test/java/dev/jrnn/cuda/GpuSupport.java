package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * For the @Tag("gpu") tests: skip loudly without a CUDA device, fail where one is promised (the
 * fake-device run), and small helpers shared by them.
 */
@SuppressWarnings("restricted")
final class GpuSupport {
    private GpuSupport() {}

    /** Skips the calling test class, printing why, unless the CUDA backend can start. */
    static void requireDevice() {
        String why = CudaSupport.unavailableReason();
        if (why == null) return;
        if (NativeBuild.fakeDevice()) fail("the fake CUDA device was promised (jrnn.fakeDevice) but: " + why);
        if (Boolean.getBoolean("jrnn.requireDevice")) fail("a CUDA device was required (jrnn.requireDevice) but: " + why);
        System.out.println("SKIPPED: no CUDA device: " + CudaSupport.unavailableSummary());
        Assumptions.abort("no CUDA device: " + why);
    }

    /**
     * The folder of the fake CUDA libraries when this JVM runs on the fake device, else null. The
     * fake-device run without them is an error, not a skip.
     */
    private static Path fakesOrNull() {
        if (!NativeBuild.fakeDevice()) return null;
        Path fakes = NativeBuild.fakes();
        if (fakes == null) {
            fail("the fake-device run (jrnn.fakeDevice) found no fake CUDA libraries in " + NativeBuild.buildDir().resolve("fakes"));
        }
        return fakes;
    }

    /** Aborts the calling test, printing why, unless it runs on the fake device: {@code what} is a fake-device check. */
    static void requireFakeDevice(String what) {
        if (fakesOrNull() != null) return;
        System.out.println("SKIPPED: " + what + " is a fake-device check");
        Assumptions.abort(what + " is a fake-device check");
    }

    /**
     * A CUDA backend created with system properties set ({@code "key", "value", ...}), which the
     * backend reads when it is created ({@code jrnn.cuda.weights}, {@code jrnn.cuda.rnnAlgo});
     * the former values are back once it exists.
     */
    static CudaBackend backendWith(String... keysAndValues) {
        String[] old = new String[keysAndValues.length / 2];
        for (int i = 0; i < old.length; i++) old[i] = System.setProperty(keysAndValues[2 * i], keysAndValues[2 * i + 1]);
        try {
            return CudaBackend.create();
        } finally {
            for (int i = 0; i < old.length; i++) {
                if (old[i] == null) System.clearProperty(keysAndValues[2 * i]);
                else System.setProperty(keysAndValues[2 * i], old[i]);
            }
        }
    }

    /**
     * Makes every CUDA backend created until {@link #unpinCudnn} run its tanh layers on cuDNN only
     * ({@code -Djrnn.cuda.rnnImpl=cudnn}), so a test of cuDNN's path cannot pass on jrnn's own
     * kernels, which {@code auto} falls back to wherever cuDNN refuses a layer.
     */
    static void pinCudnn() {
        System.setProperty("jrnn.cuda.rnnImpl", "cudnn");
    }

    static void unpinCudnn() {
        System.clearProperty("jrnn.cuda.rnnImpl");
    }

    static float[] uniform(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    static Tensor put(Backend be, float[] v) {
        Tensor t = be.allocate(v.length);
        be.write(v, 0, t, v.length);
        return t;
    }

    static float[] get(Backend be, Tensor t) {
        float[] out = new float[t.size()];
        be.read(t, out, 0, out.length);
        return out;
    }

    /** {@code |actual - expected| <= abs + rel * |expected|} for every element, and nothing NaN. */
    static void assertClose(double[] expected, float[] actual, double abs, double rel, String what) {
        if (expected.length != actual.length) fail(what + ": " + actual.length + " elements, expected " + expected.length);
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            double tol = abs + rel * Math.abs(expected[i]);
            if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                if (bad++ < 5) first.append(String.format(" [%d] expected %.8g found %.8g;", i, expected[i], actual[i]));
            }
        }
        if (bad > 0) fail(what + ": " + bad + " of " + expected.length + " elements off (abs " + abs + ", rel " + rel + "):" + first);
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /**
     * On the fake device: switches the fake cuDNN's weight layout for RNN descriptors set from now on
     * (true: shuffled and padded, so the backend must copy and map). A no-op returning false elsewhere.
     */
    static boolean fakeShuffledCudnnLayout(boolean shuffled) {
        Path fakes = fakesOrNull();
        if (fakes == null) return false;
        SymbolLookup lib = SymbolLookup.libraryLookup(fakes.resolve("libcudnn.so.9"), Arena.global());
        MethodHandle set = Linker.nativeLinker().downcallHandle(lib.find("jrnn_fake_cudnn_set_layout").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        try {
            set.invokeExact(shuffled ? 1 : 0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return true;
    }

    /**
     * On the fake device: sets the device's size in bytes (0: its default 16 GiB), so running out of
     * memory can be tested. A no-op returning false elsewhere.
     */
    static boolean fakeDeviceMemory(long bytes) {
        Path fakes = fakesOrNull();
        if (fakes == null) return false;
        SymbolLookup lib = SymbolLookup.libraryLookup(fakes.resolve("libcuda.so.1"), Arena.global());
        MethodHandle set = Linker.nativeLinker().downcallHandle(lib.find("jrnn_fake_cuda_set_memory").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
        try {
            set.invokeExact(bytes);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return true;
    }

    /**
     * On the fake device: where its cuDNN refuses the persistent algorithms (0 nowhere, 1 when a
     * descriptor is set, 2 in forward, 3 in backward data, 4 in backward weights). A no-op returning
     * false elsewhere.
     */
    static boolean fakeRefusePersistent(int where) {
        Path fakes = fakesOrNull();
        if (fakes == null) return false;
        SymbolLookup lib = SymbolLookup.libraryLookup(fakes.resolve("libcudnn.so.9"), Arena.global());
        MethodHandle set = Linker.nativeLinker().downcallHandle(lib.find("jrnn_fake_cudnn_refuse_persistent").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        try {
            set.invokeExact(where);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return true;
    }

    /** On the fake device: live cuDNN objects plus cuBLAS handles; -1 elsewhere. */
    static int fakeLiveLibraryObjects() {
        Path fakes = fakesOrNull();
        if (fakes == null) return -1;
        int total = 0;
        for (String[] f : new String[][] {{"libcudnn.so.9", "jrnn_fake_cudnn_live_objects"},
                {"libcublas.so.13", "jrnn_fake_cublas_live_handles"}}) {
            SymbolLookup lib = SymbolLookup.libraryLookup(fakes.resolve(f[0]), Arena.global());
            MethodHandle h = Linker.nativeLinker().downcallHandle(lib.find(f[1]).orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            try {
                total += (int) h.invokeExact();
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }
        return total;
    }
}
