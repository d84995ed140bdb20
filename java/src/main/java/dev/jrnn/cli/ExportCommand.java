package dev.jrnn.cli;

import dev.jrnn.io.Checkpoint;
import dev.jrnn.io.PyTorchWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jrnn export}: a checkpoint's weights under PyTorch names. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a checkpoint's weights as safetensors with PyTorch nn.LSTM / nn.GRU / nn.Linear names"
                + " (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..., dense.weight, dense.bias).")
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A jrnn checkpoint.")
    Path checkpoint;

    @Option(names = "--format", defaultValue = "pytorch", description = "Target naming: pytorch (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The safetensors file to write.")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!format.equals("pytorch")) throw new IllegalArgumentException("--format must be pytorch, found " + format);
        Checkpoint c = Checkpoint.load(checkpoint);
        PyTorchWeights.save(c, out);
        spec.commandLine().getOut().println("wrote " + out + " (" + c.model().shortName() + ", " + c.model().paramCount()
                + " params, PyTorch names)");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
