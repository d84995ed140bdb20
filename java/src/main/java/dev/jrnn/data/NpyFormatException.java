package dev.jrnn.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A file is not the NumPy array a reader needs: not a {@code .npy} file, a malformed header, an
 * unsupported dtype or order, the wrong number of dimensions, truncated or trailing data, or
 * (for a dataset) arrays that do not fit together.
 *
 * <p>The message starts with the file and says what was expected, what was found and what to do,
 * e.g. {@code .../x_train.npy: expected 3 dimensions, found shape (60000, 784); sequences are (N, T, F): ...}.
 */
public final class NpyFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates the exception; the message is {@code file + ": " + reason}.
     *
     * @param file   the offending file
     * @param reason what is wrong: expected, found, what to do
     */
    public NpyFormatException(Path file, String reason) {
        this(file, reason, null);
    }

    /**
     * Creates the exception with a cause; the message is {@code file + ": " + reason}.
     *
     * @param file   the offending file
     * @param reason what is wrong: expected, found, what to do
     * @param cause  the low-level error, or null
     */
    public NpyFormatException(Path file, String reason, Throwable cause) {
        super(Objects.requireNonNull(file, "file") + ": " + reason, cause);
        this.file = file;
    }

    /** {@return the offending file} */
    public Path file() {
        return file;
    }
}
