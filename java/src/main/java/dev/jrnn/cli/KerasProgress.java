package dev.jrnn.cli;

import dev.jrnn.train.EpochMetrics;
import dev.jrnn.train.TrainingListener;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Keras-like output: a live progress bar per epoch on stderr (batches done, ETA, running loss
 * and accuracy), then one line per epoch on stdout.
 */
final class KerasProgress implements TrainingListener {
    private final PrintWriter out;
    private final PrintStream barStream;
    private final boolean bar;
    private ProgressBar pb;
    private int epochs, batches;

    KerasProgress(PrintWriter out, PrintStream barStream, boolean bar) {
        this.out = out;
        this.barStream = barStream;
        this.bar = bar;
    }

    @Override
    public void onEpochStart(int epoch, int epochs, int batches) {
        this.epochs = epochs;
        this.batches = batches;
        if (bar) {
            pb = new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "Epoch %d/%d", epoch, epochs))
                    .setInitialMax(batches).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200)
                    .setMaxRenderedLength(110).setConsumer(new ConsoleProgressBarConsumer(barStream, 110))
                    .build();
        }
    }

    @Override
    public void onBatchEnd(int batchesDone, double loss, double accuracy) {
        if (pb != null) {
            pb.stepTo(batchesDone);
            pb.setExtraMessage(String.format(Locale.ROOT, "loss: %.4f - accuracy: %.4f", loss, accuracy));
        }
    }

    @Override
    public void onEpochEnd(EpochMetrics m) {
        if (pb != null) {
            pb.close();
            pb = null;
        }
        out.printf(Locale.ROOT, "Epoch %d/%d - %d/%d - %.1fs - %,.0f samples/s - loss: %.4f - accuracy: %.4f%n",
                m.epoch(), epochs, batches, batches, m.seconds(), m.samplesPerSecond(), m.loss(), m.accuracy());
        out.flush();
    }
}
