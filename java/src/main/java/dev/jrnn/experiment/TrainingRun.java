package dev.jrnn.experiment;

import dev.jrnn.data.DataSelection;
import dev.jrnn.data.Dataset;
import dev.jrnn.io.Checkpoint;
import dev.jrnn.io.Checkpointer;
import dev.jrnn.train.EpochMetrics;
import dev.jrnn.train.EpochRecord;
import dev.jrnn.train.Evaluation;
import dev.jrnn.train.Trainer;
import dev.jrnn.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One model trained to a number of epochs, one epoch at a time: after each epoch it evaluates the
 * held-out data (if any), after the last one the test set, and hands a snapshot to the
 * {@link Checkpointer}. A run built from a checkpoint continues where it stopped and ends with
 * the same weights, bit for bit, as an uninterrupted run on the same backend: the trainer's
 * shuffles are keyed by (seed, epoch) and its dropout masks by (seed, step).
 */
public final class TrainingRun {



    /** Progress of a run: the trainer's callbacks plus one call per finished epoch. */
    public interface Listener extends TrainingListener {
        /** Called after an epoch and its held-out evaluation, before its checkpoint is written. */
        default void onEpochRecord(EpochRecord record, int epochs) {}
    }

    /**
     * What a run produced.
     *
     * @param history one record per epoch, including those before a resume
     * @param test    evaluation on the test set after the last epoch
     */
    public record Result(List<EpochRecord> history, Evaluation test) {}

    private final Trainer trainer;
    private final int epochs;
    private final DataSelection selection;
    private final String backend;
    private final List<EpochRecord> history;
    private final Checkpointer checkpointer;
    private Evaluation test;

    /**
     * @param trainer      a fresh trainer, or one restored from a checkpoint
     * @param epochs       epochs to reach (counting those already done)
     * @param selection    the data, recorded in checkpoints
     * @param backend      the backend's name, recorded in checkpoints
     * @param history      records of the epochs already done (empty for a fresh run)
     * @param test         test evaluation of a finished run, else null
     * @param checkpointer where to save after every epoch; null for none
     */
    public TrainingRun(Trainer trainer, int epochs, DataSelection selection, String backend,
                       List<EpochRecord> history, Evaluation test, Checkpointer checkpointer) {
        if (epochs < trainer.epochsDone()) {
            throw new IllegalArgumentException("--epochs " + epochs + " is below the " + trainer.epochsDone()
                    + " epochs already done");
        }
        if (history.size() > trainer.epochsDone()) {
            throw new IllegalArgumentException("history has " + history.size() + " epochs, the trainer " + trainer.epochsDone());
        }
        this.trainer = trainer;
        this.epochs = epochs;
        this.selection = selection;
        this.backend = backend;
        this.history = new ArrayList<>(history);
        this.test = trainer.epochsDone() == epochs ? test : null;
        this.checkpointer = checkpointer;
    }

    /** A run continuing {@code c}: restores its state into {@code trainer} (built for {@code c}'s model and config). */
    public static TrainingRun resume(Checkpoint c, Trainer trainer, int epochs, String backend, Checkpointer checkpointer) {
        Checkpoint.Training t = c.training();
        if (t == null) throw new IllegalArgumentException("the checkpoint holds weights only, no training state to resume");
        trainer.restore(c.trainerState());
        return new TrainingRun(trainer, epochs, t.data(), backend, t.history(), t.test(), checkpointer);
    }

    /** Epochs done so far. */
    public int epochsDone() {
        return trainer.epochsDone();
    }

    /** Whether every epoch is done and the test set evaluated. */
    public boolean finished() {
        return trainer.epochsDone() == epochs && test != null;
    }

    /**
     * Trains the remaining epochs: one {@link Trainer#fit} call, whose epoch loop is the only one;
     * after each epoch a listener evaluates the held-out data, records the epoch, evaluates the
     * test set after the last one, and saves the checkpoint.
     *
     * @param heldOut evaluated after every epoch (validation split or test set); null for none
     * @param testSet evaluated once after the last epoch
     */
    public Result run(Dataset train, Dataset heldOut, Dataset testSet, Listener listener) throws IOException {
        Listener l = listener == null ? new Listener() {} : listener;
        TrainingListener perEpoch = new TrainingListener() {
            @Override
            public void onEpochStart(int epoch, int last, int batches) {
                l.onEpochStart(epoch, last, batches);
            }

            @Override
            public void onBatchEnd(int batchesDone, double loss, double accuracy) {
                l.onBatchEnd(batchesDone, loss, accuracy);
            }

            @Override
            public void onEpochEnd(EpochMetrics m) {
                l.onEpochEnd(m);
                EpochRecord r = EpochRecord.of(m, heldOut == null ? null : trainer.evaluate(heldOut));
                history.add(r);
                l.onEpochRecord(r, epochs);
                if (trainer.epochsDone() == epochs) test = trainer.evaluate(testSet);
                try {
                    save();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        try {
            if (trainer.epochsDone() < epochs) trainer.fit(train, epochs - trainer.epochsDone(), perEpoch);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (test == null) {   // resumed after the last epoch but before the test evaluation was saved
            test = trainer.evaluate(testSet);
            save();
        }
        return new Result(List.copyOf(history), test);
    }

    private void save() throws IOException {
        if (checkpointer != null) {
            checkpointer.save(Checkpoint.capture(trainer.network().model(), trainer.config(), trainer.state(), epochs,
                    selection, backend, history, test));
        }
    }
}
