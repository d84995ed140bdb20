package dev.jrnn.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A data file is not a well-formed IDX file (bad magic number, unsupported element type, wrong
 * dimensions, truncated or trailing data, corrupt gzip stream) or does not fit the dataset
 * (image and label counts differ, label out of range).
 *
 * <p>The message starts with the file and says what was expected and what was found, e.g.
 * {@code .../t10k-images-idx3-ubyte.gz: truncated: header declares 10000x28x28 = 7840000 bytes of
 * data, found 4000000}.
 */
public final class IdxFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates the exception; the message is {@code file + ": " + reason}.
     *
     * @param file   the offending file
     * @param reason what is wrong, saying what was expected and what was found
     * @throws NullPointerException if {@code file} is null
     */
    public IdxFormatException(Path file, String reason) {
        this(file, reason, null);
    }

    /**
     * Creates the exception with a cause; the message is {@code file + ": " + reason}.
     *
     * @param file   the offending file
     * @param reason what is wrong, saying what was expected and what was found
     * @param cause  the low-level error, e.g. a {@link java.util.zip.ZipException}, or null
     * @throws NullPointerException if {@code file} is null
     */
    public IdxFormatException(Path file, String reason, Throwable cause) {
        super(Objects.requireNonNull(file, "file") + ": " + reason, cause);
        this.file = file;
    }

    /** {@return the offending file; null after deserialisation (the path is not serialised)} */
    public Path file() {
        return file;
    }
}
