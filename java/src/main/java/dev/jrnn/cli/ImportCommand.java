package dev.jrnn.cli;

import dev.jrnn.backend.Activation;
import dev.jrnn.io.Checkpoint;
import dev.jrnn.io.PyTorchWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jrnn import}: PyTorch-named weights into a (weights-only) jrnn checkpoint. */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Read PyTorch-named weights (safetensors) into a jrnn checkpoint for evaluate / predict."
                + " Files jrnn exported carry their model; for others the model is inferred from the tensor shapes"
                + " (one nn.LSTM/nn.GRU, then nn.Linear layers with relu between them and softmax last).")
final class ImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "PyTorch-named safetensors file.")
    Path weights;

    @Option(names = "--format", defaultValue = "pytorch", description = "Source naming: pytorch (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The jrnn checkpoint to write.")
    Path out;

    @Option(names = "--steps", defaultValue = "28", description = "Timesteps per sample when inferring the model (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--activation", defaultValue = "tanh", converter = ModelOptions.ActivationConverter.class,
            description = "Cell activation when inferring the model (default: ${DEFAULT-VALUE}).")
    Activation activation;

    @Option(names = "--dropout", defaultValue = "0.2", description = "Dropout before each Linear when inferring (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Override
    public Integer call() throws IOException {
        if (!format.equals("pytorch")) throw new IllegalArgumentException("--format must be pytorch, found " + format);
        if (steps <= 0) throw new IllegalArgumentException("--steps must be positive, found " + steps);
        Checkpoint c = PyTorchWeights.load(weights, steps, activation, dropout);
        c.save(out);
        spec.commandLine().getOut().println("wrote " + out + " (" + c.model().shortName() + ", " + c.model().paramCount()
                + " params, weights only)");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
