package dev.jrnn.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether the CUDA backend can run here, and why not: the probe behind {@code --backend auto}
 * and the report {@code jrnn info} prints. It loads the driver (through JCuda), cuBLAS and cuDNN
 * (through Panama) and looks for jrnn's kernels in the jar; each outcome is kept for the life of
 * the process.
 */
public final class CudaSupport {
    private CudaSupport() {}

    /** Null when every piece is present, else one line naming each missing piece (long form: every place looked). */
    public static String unavailableReason() {
        return reason(true);
    }

    /**
     * As {@link #unavailableReason()}, short enough for the one-line log of {@code --backend auto};
     * where the driver is missing it names only the driver and the kernels (cuBLAS and cuDNN are
     * not looked for).
     */
    public static String unavailableSummary() {
        return reason(false);
    }

    private static String reason(boolean detailed) {
        List<String> missing = new ArrayList<>();
        Driver.Status d = Driver.status();
        if (!d.ok()) missing.add("driver: " + d.problem());
        String k = KernelLauncher.missingResources();
        if (k != null) missing.add("kernels: " + (detailed ? k : "not in this build (built without nvcc)"));
        // NB: without a driver nothing else matters to --backend auto, and binding cuBLAS and cuDNN
        // (Panama downcall handles for every function) took 0.25-0.45 s of a CPU run's start-up;
        // the detailed form (jrnn info, a forced --backend cuda) still looks for both
        if (!detailed && !d.ok()) return "CUDA unavailable: " + String.join("; ", missing);
        for (String lib : new String[] {"cuBLAS", "cuDNN"}) {
            try {
                if (lib.equals("cuBLAS")) CublasLibrary.load();
                else CudnnLibrary.load();
            } catch (CudaLibraryException e) {
                missing.add(detailed ? e.getMessage() : shortForm(e));
            } catch (CudaUnavailableException e) {
                missing.add(e.getMessage());
            }
        }
        return missing.isEmpty() ? null : "CUDA unavailable: " + String.join("; ", missing);
    }

    private static String shortForm(CudaLibraryException e) {
        if (e.problem() == CudaLibraryException.Problem.NOT_FOUND) {
            return e.library() + " not found (" + String.join(", ", e.fileNames()) + "; 'jrnn info' lists the "
                    + e.placesLooked().size() + " places looked)";
        }
        return e.getMessage();
    }

    /** The lines of {@code jrnn info}: versions, device, library paths, or why each piece is unavailable. */
    public static List<String> report() {
        List<String> out = new ArrayList<>();
        Driver.Status d = Driver.status();
        if (d.ok()) {
            out.add("CUDA driver:  " + Driver.versionString(d.driverVersion()) + " (libcuda.so.1 through JCuda), "
                    + d.devices() + " device" + (d.devices() == 1 ? "" : "s"));
            for (int i = 0; i < d.devices(); i++) {
                try {
                    Driver.DeviceInfo dev = Driver.device(i);
                    String free = "";
                    if (i == 0) {
                        try (CudaContext ctx = new CudaContext(0)) {
                            free = String.format(Locale.ROOT, ", %.1f GiB free", ctx.memoryInfo()[0] / (double) (1L << 30));
                        }
                    }
                    out.add("device " + i + ":     " + dev + free);
                } catch (RuntimeException e) {
                    out.add("device " + i + ":     unavailable: " + e.getMessage());
                }
            }
        } else {
            out.add("CUDA driver:  unavailable: " + d.problem());
        }
        try {
            CublasLibrary b = CublasLibrary.load();
            out.add("cuBLAS:       " + b.version + " at " + b.file + (b.companion == null ? "" : " (with " + b.companion + ")"));
        } catch (CudaUnavailableException e) {
            out.add("cuBLAS:       unavailable: " + e.getMessage());
        }
        try {
            CudnnLibrary c = CudnnLibrary.load();
            out.add("cuDNN:        " + CudnnLibrary.versionString(c.version) + " (built for CUDA runtime "
                    + cudart(c.cudartVersion) + ") at " + c.file
                    + (c.companions.isEmpty() ? "" : " (with " + String.join(", ", c.companions) + ")"));
        } catch (CudaUnavailableException e) {
            out.add("cuDNN:        unavailable: " + e.getMessage());
        }
        String k = KernelLauncher.missingResources();
        out.add("kernels:      " + (k == null ? String.join(", ", KernelLauncher.FUNCTIONS.keySet())
                + " (PTX for compute_75" + (KernelLauncher.class.getResource(KernelLauncher.RESOURCE_DIR + "dropout.fatbin") != null
                ? ", fatbin with SASS" : "") + ") in the jar" : "unavailable: " + k));
        String why = unavailableReason();
        if (why == null) {
            try (CudaBackend be = CudaBackend.create()) {
                out.add("backend:      cuda works: " + be.description() + "; kernels from "
                        + String.join(", ", be.device.kernels.loadedFrom.values()));
            } catch (RuntimeException e) {
                out.add("backend:      cuda failed to start: " + e.getMessage());
            }
        } else {
            out.add("backend:      auto picks the CPU: " + unavailableSummary());
        }
        return out;
    }

    private static String cudart(long v) {
        return v <= 0 ? "unknown" : (v / 1000) + "." + (v % 1000) / 10;
    }
}
