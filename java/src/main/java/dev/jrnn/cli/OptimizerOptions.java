package dev.jrnn.cli;

import picocli.CommandLine.Option;

/** The optimiser flags shared by {@code train} and {@code sweep}. */
final class OptimizerOptions {
    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.001", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    float lr;
}
