package dev.jrnn.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import java.lang.reflect.Method;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.NativePointerObject;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;

/**
 * The CUDA driver API through JCuda: whether it loads, and checked calls. JCuda's native library
 * links {@code libcuda.so.1}; where that is missing, loading it throws
 * {@link UnsatisfiedLinkError}, which here means "no driver", never a crash. The outcome of the
 * first probe is kept for the life of the process.
 */
final class Driver {
    private Driver() {}

    /**
     * What the probe found.
     *
     * @param problem       null when the driver loaded and has a device, else what is missing
     * @param driverVersion e.g. 13000 for CUDA 13.0; 0 when unknown
     * @param devices       number of CUDA devices
     */
    record Status(String problem, int driverVersion, int devices) {
        boolean ok() {
            return problem == null;
        }
    }

    /** A device's identity and size. */
    record DeviceInfo(int ordinal, String name, long totalBytes, int ccMajor, int ccMinor) {
        @Override
        public String toString() {
            return name + " (compute capability " + ccMajor + "." + ccMinor + ", "
                    + String.format(java.util.Locale.ROOT, "%.1f GiB", totalBytes / (double) (1L << 30)) + ")";
        }
    }

    private static Status status;

    /** Loads JCuda, initialises the driver and counts devices, once per process. */
    static synchronized Status status() {
        if (status == null) status = probe();
        return status;
    }

    private static Status probe() {
        try {
            int rc = cuInit(0);   // NB: the first JCudaDriver call loads its native library
            int[] version = {0};
            if (cuDriverGetVersion(version) != CUresult.CUDA_SUCCESS) version[0] = 0;
            if (rc != CUresult.CUDA_SUCCESS) {
                return new Status("cuInit failed: " + CUresult.stringFor(rc)
                        + (rc == CUresult.CUDA_ERROR_NO_DEVICE ? " (no CUDA device visible)" : ""), version[0], 0);
            }
            int[] count = {0};
            check(cuDeviceGetCount(count), "cuDeviceGetCount");
            if (count[0] == 0) return new Status("no CUDA device visible", version[0], 0);
            return new Status(null, version[0], count[0]);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Status("no NVIDIA driver (" + linkProblem(e) + ")", 0, 0);
        } catch (Throwable t) {
            return new Status("the CUDA driver did not initialise: " + t, 0, 0);
        }
    }

    private static final Pattern LIBCUDA = Pattern.compile("(libcuda\\.so[.0-9]*: [^\\n]*)");

    /** The line of JCuda's long loading report that says what is missing. */
    static String linkProblem(Throwable e) {
        String m = String.valueOf(e.getMessage());
        Matcher matcher = LIBCUDA.matcher(m);
        if (matcher.find()) return matcher.group(1).strip();
        String first = m.lines().findFirst().orElse(m).strip();
        return e.getClass().getSimpleName() + ": " + first;
    }

    /** Throws a {@link CudaException} naming {@code call} unless {@code result} is CUDA_SUCCESS. */
    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaException(call, result, CUresult.stringFor(result));
    }

    /** "13.0" from 13000. */
    static String versionString(int v) {
        return v <= 0 ? "unknown" : (v / 1000) + "." + (v % 1000) / 10;
    }

    /** Name, memory and compute capability of device {@code ordinal}; needs a loaded driver. */
    static DeviceInfo device(int ordinal) {
        CUdevice dev = new CUdevice();
        check(cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] name = new byte[256];
        check(cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        long[] total = {0};
        check(cuDeviceTotalMem(total, dev), "cuDeviceTotalMem");
        int[] major = {0}, minor = {0};
        check(cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev),
                "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)");
        check(cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev),
                "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)");
        return new DeviceInfo(ordinal, new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8),
                total[0], major[0], minor[0]);
    }

    private static final Method NATIVE_POINTER, BYTE_OFFSET;

    static {
        try {
            NATIVE_POINTER = NativePointerObject.class.getDeclaredMethod("getNativePointer");
            NATIVE_POINTER.setAccessible(true);
            BYTE_OFFSET = jcuda.Pointer.class.getDeclaredMethod("getByteOffset");
            BYTE_OFFSET.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The device address a JCuda pointer stands for: its native pointer plus its byte offset. */
    static long address(jcuda.Pointer p) {
        try {
            return nativeHandle(p) + (long) BYTE_OFFSET.invoke(p);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read JCuda's byte offset of " + p, e);
        }
    }

    /** The ordinal of {@code dev} (a driver {@code CUdevice} is its ordinal). */
    static int ordinal(CUdevice dev) {
        return (int) nativeHandle(dev);
    }

    /**
     * The raw handle or address JCuda keeps in {@code o} (a stream, a device pointer fresh from
     * cuMemAlloc), for the libraries called through Panama. NB: JCuda exposes it only to subclasses.
     */
    static long nativeHandle(NativePointerObject o) {
        try {
            return (long) NATIVE_POINTER.invoke(o);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read JCuda's native pointer of " + o, e);
        }
    }
}
