package dev.jrnn.cli;

import dev.jrnn.data.DataSelection;
import dev.jrnn.io.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;

/** Small helpers the commands share. */
final class Commands {
    private Commands() {}

    /** Loads the selected data; a missing dataset names the ways out. */
    static DataSelection.Splits load(DataSelection selection, Path dataDir) throws IOException {
        try {
            return selection.load(dataDir);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + "\nTo train anyway: --dataset fashion-mnist (Debian: apt-get install"
                    + " dataset-fashion-mnist), or --data-dir DIR holding the IDX files.", e);
        }
    }

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
