package dev.jrnn.cli;

import dev.jrnn.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks of the files a command will write, made before any work starts: an existing file is not
 * replaced without {@code --overwrite}, and the target's directory is created (as Keras'
 * {@code ModelCheckpoint} does) and proved writable by creating and deleting a probe file in it.
 * So a run never trains for an hour to find that its output cannot be written.
 */
final class Outputs {
    private Outputs() {}

    /**
     * Refuses an existing {@code file} unless {@code overwrite}: an existing file is another run's
     * output (or not ours at all) until the user says otherwise.
     *
     * @param option the flag that named the file, e.g. {@code --checkpoint}
     * @param holds  what the file holds and what to do with it, in the words of {@code sweep --out}'s
     *               refusal, e.g. {@code "a jrnn run: continue it with --resume F"}; null when unknown
     * @throws IllegalArgumentException when the file exists and {@code overwrite} is false
     */
    static void refuseOverwrite(Path file, String option, boolean overwrite, String holds) {
        if (overwrite || !Files.exists(file)) return;
        if (Files.isDirectory(file)) return;   // writable() names the problem
        throw new IllegalArgumentException(file + (holds == null ? " already exists: choose another " + option
                : " already holds " + holds + ", or choose another " + option) + " (--overwrite replaces it)");
    }

    /**
     * Makes sure {@code file} can be written: it is not a directory, its directory exists (created
     * if missing) and a file can be created in it.
     *
     * @param option the flag that named the file, for the message
     * @throws IOException naming the flag, the file, what was found and what to do
     */
    static void writable(Path file, String option) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            throw new IOException(option + " " + file + " is a directory: expected a file name, e.g. "
                    + file.resolve(option.equals("--checkpoint") ? "last.safetensors" : "metrics.json"));
        }
        Path dir = abs.getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot write " + option + " " + file + ": cannot create directory " + dir + " ("
                    + reason(e) + "); choose another path", e);
        }
        probe(dir, abs.getFileName().toString(), option + " " + file);
    }

    /**
     * Makes sure a directory can be written (creating it if missing), for outputs such as
     * {@code sweep --out DIR}.
     *
     * @throws IOException naming the flag, the directory, what was found and what to do
     */
    static void writableDirectory(Path dir, String option) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException(option + " " + dir + " is a file: expected a directory (it is created if missing);"
                    + " choose another " + option);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot write " + option + " " + dir + ": cannot create the directory (" + reason(e)
                    + "); choose another " + option, e);
        }
        probe(dir.toAbsolutePath(), "probe", option + " " + dir);
    }

    /** Creates and deletes a hidden file named as {@link AtomicFiles} names its temporaries (so a killed probe is cleaned). */
    private static void probe(Path dir, String name, String what) throws IOException {
        Path p = dir.resolve("." + name + ".writable-" + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.deleteIfExists(p);
            Files.createFile(p);
        } catch (IOException e) {
            throw new IOException("cannot write " + what + ": directory " + dir + " is not writable (" + reason(e)
                    + "); choose another path or fix its permissions", e);
        } finally {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a probe we could create but not delete: harmless, cleaned with the temporaries
            }
        }
    }

    /** The OS's reason without the path Java puts in front of it (the message names the path already). */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.FileAlreadyExistsException) return "a file of that name is in the way";
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file or directory";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason().toLowerCase(java.util.Locale.ROOT);
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
