package dev.jrnn.cli;

import dev.jrnn.backend.BackendProvider;
import dev.jrnn.backend.Backends;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jrnn info}: what the GPU backend would run on, or why it cannot; then the CPU backends (each backend's provider says its lines). */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Print the CUDA driver and device, cuDNN and cuBLAS versions and paths, and whether jrnn's "
                + "CUDA kernels are in this build; for each missing piece, why.",
                "cuDNN and cuBLAS are looked up in -Djrnn.cudnn.path / $JRNN_CUDNN_PATH (-Djrnn.cublas.path / "
                        + "$JRNN_CUBLAS_PATH), LD_LIBRARY_PATH, $CUDA_HOME, $CUDA_PATH, the system folders and "
                        + "NVIDIA's Python wheels (site-packages/nvidia/*/lib)."})
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Main.Version v = new Main.Version();
        for (String line : v.getVersion()) out.println(line);
        List<BackendProvider> all = Backends.providers();
        out.println("backends:     " + (all.isEmpty() ? "none found (this jar lost META-INF/services/" + BackendProvider.class.getName() + ")"
                : names(all) + " (auto tries " + names(all.stream().filter(p -> p.autoPriority() >= 0).toList()) + ", in that order)"));
        for (BackendProvider p : Backends.providers()) {
            for (String line : p.info()) out.println(line);
        }
        out.flush();
        return 0;
    }

    private static String names(List<BackendProvider> providers) {
        return String.join(", ", providers.stream().map(BackendProvider::name).toList());
    }
}
