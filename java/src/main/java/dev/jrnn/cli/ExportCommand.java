package dev.jrnn.cli;

import dev.jrnn.io.Checkpoint;
import dev.jrnn.io.PyTorchWeights;
import dev.jrnn.backend.Activation;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Recurrent;
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

    @Option(names = "--allow-relu", description = "Export relu-cell models too. PyTorch's nn.LSTM and nn.GRU compute"
            + " tanh only: such weights load there without error but give wrong answers unless your own code applies relu.")
    boolean allowRelu;

    @Override
    public Integer call() throws IOException {
        if (!format.equals("pytorch")) throw new IllegalArgumentException("--format must be pytorch, found " + format);
        Checkpoint c = Checkpoint.load(checkpoint);
        boolean relu = c.model().layers().stream().anyMatch(l -> l instanceof Recurrent r && r.activation() == Activation.RELU
                || l instanceof Bidirectional b && b.layer().activation() == Activation.RELU);
        if (relu && !allowRelu) {
            throw new IllegalArgumentException(c.model().shortName() + " in " + checkpoint + " has relu cells, but PyTorch's"
                    + " nn.LSTM/nn.GRU compute tanh only: the export would load there and give wrong answers."
                    + " Add --allow-relu if your own PyTorch code applies relu.");
        }
        PyTorchWeights.save(c, out);
        spec.commandLine().getOut().println("wrote " + out + " (" + c.model().shortName() + ", " + c.model().paramCount()
                + " params, PyTorch names)");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
