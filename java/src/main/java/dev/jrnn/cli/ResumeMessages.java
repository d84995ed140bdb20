package dev.jrnn.cli;

import dev.jrnn.io.Checkpoint;
import java.nio.file.Path;

/** What {@code train} and {@code sweep} say about continuing a run: on another backend, or after an interruption. */
final class ResumeMessages {
    private ResumeMessages() {}

    /** A note when a run continues on another backend than it started on. */
    static String backendNote(String trainedOn, String now) {
        return trainedOn.equals(now) ? "" : " (trained on " + trainedOn + ", continuing on " + now
                + ": the weights will not be bit-identical to an uninterrupted " + trainedOn + " run)";
    }

    /** What the shutdown hook prints: which epoch is safe on disk and how to continue. */
    static void reportInterrupted(Checkpoint c, Path file, String resumeCommand) {
        if (c == null) {
            System.err.println("\njrnn: stopped before the first epoch finished; nothing saved in " + file);
        } else {
            System.err.println("\njrnn: stopped; epoch " + c.training().epochsDone() + " of " + c.training().epochs()
                    + " is saved in " + file + "; continue with: " + resumeCommand);
        }
        System.err.flush();
    }
}
