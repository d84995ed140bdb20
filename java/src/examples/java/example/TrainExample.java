package example;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.data.Dataset;
import dev.jrnn.data.Datasets;
import dev.jrnn.data.Preprocess;
import dev.jrnn.data.Split;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.EpochMetrics;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.io.IOException;
import java.util.List;

/**
 * The notebook's LSTM(32) model, built and trained with jrnn's trainer on Fashion-MNIST.
 * Arguments: {@code [epochs [training samples]]}, default 10 epochs on all 60,000.
 */
public final class TrainExample {
    private TrainExample() {}

    /**
     * Runs the example.
     *
     * @param args optional epochs and number of training samples
     * @throws IOException when the dataset cannot be read or downloaded
     */
    public static void main(String[] args) throws IOException {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 60_000;
        // README:train
        Sequential model = Sequential.builder().input(28, 28)          // 28 steps of 28 features
                .add(new LSTM(32))                                        // tanh, last step only
                .add(new Dropout(0.2))
                .add(new Dense(64, Activation.RELU))
                .add(new Dropout(0.2))
                .add(new Dense(10, Activation.SOFTMAX))
                .build();                                                 // validates every shape
        System.out.print(model.summary());                                // Keras-style table

        // looked up as the CLI does (--data-dir, $JRNN_DATA, ~/.cache/jrnn, /usr/share/datasets), else downloaded
        Dataset train = Datasets.load("fashion-mnist", null, Split.TRAIN, Preprocess.SCALE).head(samples);
        Dataset test = Datasets.load("fashion-mnist", null, Split.TEST, Preprocess.SCALE);
        try (Backend cpu = Backends.cpu();                                // all cores, Vector API
             Trainer trainer = new Trainer(model, cpu, TrainConfig.defaults())) {   // Adam(1e-3), batch 256
            List<EpochMetrics> history = trainer.fit(train, epochs, null);
            Evaluation ev = trainer.evaluate(test);
            System.out.printf("%d epochs: loss %.4f, test accuracy %.4f%n", history.size(),
                    history.getLast().loss(), ev.accuracy());
        }
        // README:end
    }
}
