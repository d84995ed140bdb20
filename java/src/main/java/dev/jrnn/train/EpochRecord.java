package dev.jrnn.train;

/**
 * One epoch of a run's history: the training metrics and, when the run holds data out, the loss
 * and accuracy on it after the epoch (Keras' {@code val_loss}, {@code val_accuracy}).
 *
 * @param epoch            1-based epoch number
 * @param loss             mean training loss over the epoch (dropout active)
 * @param accuracy         training accuracy over the epoch (dropout active)
 * @param valLoss          held-out loss after the epoch, NaN when nothing is held out
 * @param valAccuracy      held-out accuracy after the epoch, NaN when nothing is held out
 * @param seconds          training wall time of the epoch (without the held-out evaluation)
 * @param samplesPerSecond training samples per second
 */
public record EpochRecord(int epoch, double loss, double accuracy, double valLoss, double valAccuracy,
                          double seconds, double samplesPerSecond) {

    /**
     * Combines an epoch's training metrics with its held-out evaluation.
     *
     * @param m       the epoch's training metrics
     * @param heldOut the evaluation on held-out data after the epoch, or {@code null} when nothing
     *                is held out (the validation fields are then NaN)
     * @return the history entry of the epoch
     */
    public static EpochRecord of(EpochMetrics m, Evaluation heldOut) {
        return new EpochRecord(m.epoch(), m.loss(), m.accuracy(),
                heldOut == null ? Double.NaN : heldOut.loss(), heldOut == null ? Double.NaN : heldOut.accuracy(),
                m.seconds(), m.samplesPerSecond());
    }

    /** {@return true if held-out metrics are present, that is {@code valLoss} is not NaN} */
    public boolean hasValidation() {
        return !Double.isNaN(valLoss);
    }
}
