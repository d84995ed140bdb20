package dev.jrnn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The optimiser flags shared by {@code train} and {@code sweep}. */
final class OptimizerOptions {
    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.001", converter = LearningRateConverter.class,
            description = "Adam learning rate, positive and finite (default: ${DEFAULT-VALUE}).")
    float lr;

    /**
     * Parses a learning rate: a positive number that a float holds. NB: Float.parseFloat turns 1e39
     * into Infinity without a word, while "inf" does not parse; both are refused here alike.
     */
    static final class LearningRateConverter implements CommandLine.ITypeConverter<Float> {
        @Override
        public Float convert(String s) {
            double d;
            try {
                d = Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("expected a positive number such as 0.001, found '" + s + "'");
            }
            if (!(d > 0) || !Double.isFinite(d) || d > Float.MAX_VALUE || (float) d == 0f) {
                throw new CommandLine.TypeConversionException("expected a positive, finite number such as 0.001 (at most "
                        + Float.MAX_VALUE + "), found '" + s + "'");
            }
            return (float) d;
        }
    }
}
