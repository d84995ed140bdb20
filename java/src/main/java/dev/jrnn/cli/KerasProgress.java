package dev.jrnn.cli;

import dev.jrnn.experiment.TrainingRun;
import dev.jrnn.train.EpochMetrics;
import dev.jrnn.train.EpochRecord;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Keras-like output: a live progress bar per epoch on stderr when it is a terminal (batches done,
 * ETA, running loss and accuracy), then one line per epoch on stdout, with {@code val_loss} and {@code val_accuracy}
 * when the run holds data out.
 */
final class KerasProgress implements TrainingRun.Listener {
    private final PrintWriter out;
    private final PrintStream barStream;
    private final boolean bar;
    private ProgressBar pb;
    private int batches;

    /** @param bar whether a live bar is wanted; it is drawn only when stderr is a terminal */
    KerasProgress(PrintWriter out, PrintStream barStream, boolean bar) {
        this.out = out;
        this.barStream = barStream;
        this.bar = bar && stderrIsTerminal();
    }

    /**
     * Whether stderr is a terminal, where carriage-return frames redraw a bar; in a log file or a
     * pipe they pile up, so there only the per-epoch lines are written. The {@code ./jrnn} launcher
     * knows ({@code [ -t 2 ]}) and passes {@code -Djrnn.stderr.tty}; without it, Java's console
     * (JDK 22+: whether the process runs in a terminal) decides.
     */
    static boolean stderrIsTerminal() {
        String p = System.getProperty("jrnn.stderr.tty");
        if (p != null) return Boolean.parseBoolean(p);
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    @Override
    public void onEpochStart(int epoch, int epochs, int batches) {
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
    }

    @Override
    public void onEpochRecord(EpochRecord r, int epochs) {
        out.printf(Locale.ROOT, "Epoch %d/%d - %d/%d - %.1fs - %,.0f samples/s - loss: %.4f - accuracy: %.4f%s%n",
                r.epoch(), epochs, batches, batches, r.seconds(), r.samplesPerSecond(), r.loss(), r.accuracy(),
                r.hasValidation() ? String.format(Locale.ROOT, " - val_loss: %.4f - val_accuracy: %.4f", r.valLoss(), r.valAccuracy()) : "");
        out.flush();
    }
}
