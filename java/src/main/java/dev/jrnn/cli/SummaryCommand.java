package dev.jrnn.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jrnn summary}: prints the Keras-style layer table of a notebook model. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print the layer table and parameter count of a model (input 28x28, 10 classes).")
final class SummaryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(model.build(28, 28, 10).summary());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
