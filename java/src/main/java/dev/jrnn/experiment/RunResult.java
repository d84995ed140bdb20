package dev.jrnn.experiment;

import dev.jrnn.train.EpochRecord;
import dev.jrnn.train.Evaluation;
import java.nio.file.Path;
import java.util.List;

/**
 * One finished run of a sweep.
 *
 * @param model      the model
 * @param seed       its seed
 * @param params     trainable parameters
 * @param history    one record per epoch
 * @param test       test-set evaluation after the last epoch
 * @param checkpoint its checkpoint file
 */
public record RunResult(ModelName model, long seed, int params, List<EpochRecord> history, Evaluation test, Path checkpoint) {

    public RunResult {
        history = List.copyOf(history);
    }

    /** Training accuracy of the last epoch (measured with dropout active, as Keras reports it). */
    public double trainAccuracy() {
        return history.get(history.size() - 1).accuracy();
    }

    /** Median seconds per epoch; NB: the median keeps the first epoch's JIT warm-up out. */
    public double secondsPerEpoch() {
        double[] s = history.stream().mapToDouble(EpochRecord::seconds).sorted().toArray();
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Median training samples per second. */
    public double samplesPerSecond() {
        double[] s = history.stream().mapToDouble(EpochRecord::samplesPerSecond).sorted().toArray();
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
