package dev.jrnn.cli;

import dev.jrnn.cuda.CudaSupport;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jrnn info}: what the GPU backend would run on, or why it cannot. */
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
        for (String line : CudaSupport.report()) out.println(line);
        out.flush();
        return 0;
    }
}
