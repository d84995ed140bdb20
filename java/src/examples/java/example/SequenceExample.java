package example;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.data.Dataset;
import dev.jrnn.nn.Bidirectional;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.Sequential;
import dev.jrnn.ops.Rnn;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.util.Random;

/**
 * Sequences of their own lengths: a bidirectional GRU learns whether a random sequence of 3 to 20
 * steps holds more positive than negative values, from padded arrays and a lengths array; then one
 * bidirectional layer runs on plain arrays through {@code ops.Rnn}.
 */
public final class SequenceExample {
    private SequenceExample() {}

    /**
     * Runs the example.
     *
     * @param args optional: epochs (default 20)
     */
    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        // README:sequences
        int n = 2048, steps = 20, features = 1;
        Random rnd = new Random(3);
        float[] x = new float[n * steps * features];           // (N, T, F), padded to T steps
        int[] labels = new int[n], lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = 3 + rnd.nextInt(steps - 2);              // 3..20 valid steps
            int positive = 0;
            for (int t = 0; t < steps; t++) {
                float v = (float) rnd.nextGaussian();
                x[i * steps + t] = v;                             // padding holds noise too: it is never read
                if (t < lengths[i] && v > 0) positive++;
            }
            labels[i] = 2 * positive > lengths[i] ? 1 : 0;
        }
        Dataset data = new Dataset("more-positive", x, labels, steps, features, 2, lengths);
        Dataset train = data.range(0, 1536), test = data.range(1536, n);

        Sequential model = Sequential.builder().input(steps, features)
                .add(new Bidirectional(new GRU(16)))              // (T, F) -> (2H): both directions' last valid step
                .add(new Dense(2, Activation.SOFTMAX))
                .build();
        try (Backend cpu = Backends.cpu();
             Trainer trainer = new Trainer(model, cpu, TrainConfig.defaults().withBatchSize(64).withBucketing(true))) {
            trainer.fit(train, epochs, null);                     // batches of similar lengths
            Evaluation ev = trainer.evaluate(test);
            System.out.printf("%s: test accuracy %.3f%n", model.shortName(), ev.accuracy());
        }

        // One bidirectional layer on arrays: y (B, T, 2H) is 0 past each length, hy (2, B, H)
        RnnSpec spec = new RnnSpec(RnnSpec.Cell.LSTM, features, 8, Activation.TANH, 1, true);
        int batch = 3;
        float[] y = new float[batch * steps * spec.outputSize()], hy = new float[spec.stateLayers() * batch * 8];
        try (Backend cpu = Backends.cpu(); Rnn lstm = Rnn.create(cpu, spec, 0)) {
            lstm.infer(batch, steps, new int[] {20, 1, 7}, java.util.Arrays.copyOf(x, batch * steps), null, null, y, hy, null);
        }
        // README:end
        int padded = 0;
        for (int b = 0; b < batch; b++) {
            int len = new int[] {20, 1, 7}[b];
            for (int t = len; t < steps; t++) {
                for (int j = 0; j < spec.outputSize(); j++) if (y[(b * steps + t) * spec.outputSize() + j] != 0) padded++;
            }
        }
        System.out.println("nonzero outputs past the lengths: " + padded);
    }
}
