package dev.jrnn.cli;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.experiment.ModelEdits;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Sequential;
import picocli.CommandLine.Option;

/**
 * The model flags shared by {@code summary}, {@code train} and {@code bench}: the seed notebook's
 * model family, optionally bidirectional and masked.
 */
final class ModelOptions {
    @Option(names = "--cell", description = "Recurrent cell: lstm or gru (required).",
            converter = CellConverter.class)
    RnnSpec.Cell cell;

    @Option(names = "--units", defaultValue = "32", description = "Hidden units per recurrent layer (default: ${DEFAULT-VALUE}).")
    int units;

    @Option(names = "--layers", defaultValue = "1", description = "Stacked recurrent layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--activation", defaultValue = "tanh", converter = ActivationConverter.class,
            description = "Cell activation: tanh or relu (the notebook used relu) (default: ${DEFAULT-VALUE}).")
    Activation activation;

    @Option(names = "--dropout", defaultValue = "0.2", description = "Dropout rate after the RNN and Dense(64) (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--bidirectional", description = "Run each recurrent layer over the sequence in both directions"
            + " (Keras' Bidirectional; twice the parameters).")
    boolean bidirectional;

    @Option(names = "--merge", paramLabel = "concat|sum", converter = MergeConverter.class,
            description = "With --bidirectional: concatenate the two directions' outputs (2H features, the default) or add them (H).")
    Bidirectional.Merge merge;

    @Option(names = "--mask", paramLabel = "VALUE", description = "Treat trailing steps whose features all equal VALUE"
            + " as padding (Keras' Masking(VALUE) before the recurrent layers).")
    Float mask;

    /** Fails unless the model is fully specified; call before slow work such as loading data. */
    void check() {
        if (cell == null) throw new IllegalArgumentException("missing required option: '--cell=<cell>' (lstm or gru)");
        if (units <= 0) throw new IllegalArgumentException("--units must be positive, found " + units);
        if (layers <= 0) throw new IllegalArgumentException("--layers must be positive, found " + layers);
        if (merge != null && !bidirectional) throw new IllegalArgumentException("--merge " + merge.keyword() + " needs --bidirectional");
        if (mask != null && !Float.isFinite(mask)) throw new IllegalArgumentException("--mask must be a finite number, found " + mask);
    }

    /** Whether the model is the notebook's plain one (the CPU warm-up compiles its kernels). */
    boolean plain() {
        return !bidirectional && mask == null;
    }

    Sequential build(int steps, int features, int classes) {
        check();
        Sequential m = Sequential.notebook(cell, units, layers, activation, dropout, steps, features, classes);
        if (bidirectional) m = ModelEdits.bidirectional(m, merge != null ? merge : Bidirectional.Merge.CONCAT);
        if (mask != null) m = ModelEdits.masked(m, mask);
        return m;
    }

    /** A picocli converter over a parse method: its IllegalArgumentException becomes picocli's conversion error. */
    private abstract static class Parsing<T> implements picocli.CommandLine.ITypeConverter<T> {
        private final java.util.function.Function<String, T> parse;

        Parsing(java.util.function.Function<String, T> parse) {
            this.parse = parse;
        }

        @Override
        public T convert(String s) {
            try {
                return parse.apply(s);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class MergeConverter extends Parsing<Bidirectional.Merge> {
        MergeConverter() {
            super(Bidirectional.Merge::parse);
        }
    }

    static final class CellConverter extends Parsing<RnnSpec.Cell> {
        CellConverter() {
            super(RnnSpec.Cell::parse);
        }
    }

    static final class ActivationConverter extends Parsing<Activation> {
        ActivationConverter() {
            super(s -> {
                Activation a = Activation.parse(s);
                if (a != Activation.TANH && a != Activation.RELU) {
                    throw new IllegalArgumentException("cell activation must be tanh or relu, found " + s);
                }
                return a;
            });
        }
    }
}
