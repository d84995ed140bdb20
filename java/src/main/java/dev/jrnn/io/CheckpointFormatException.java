package dev.jrnn.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file or jrnn checkpoint that cannot be used: the message names the file, what was
 * expected and what was found; {@link #problem()} says which check failed.
 */
public class CheckpointFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Which check failed. */
    public enum Problem {
        /** The 8-byte header length is missing or larger than the rest of the file. */
        HEADER_LENGTH,
        /** The header is not a JSON object of tensor entries (bad JSON, bad entry, bad offsets). */
        MALFORMED_HEADER,
        /** A tensor's dtype is not F32. */
        UNSUPPORTED_DTYPE,
        /** The data section is shorter than the header's offsets say. */
        TRUNCATED,
        /** {@code __metadata__.format} is missing or names another format. */
        NOT_A_CHECKPOINT,
        /** {@code __metadata__.format_version} is one this jrnn does not read. */
        UNSUPPORTED_VERSION,
        /** The model description or the training state in the metadata is invalid. */
        BAD_METADATA,
        /** A tensor the model needs is absent. */
        MISSING_TENSOR,
        /** A tensor the model does not have is present. */
        UNEXPECTED_TENSOR,
        /** A tensor has another shape than the model needs. */
        WRONG_SHAPE
    }

    private final transient Path file;
    /** Which check failed. */
    private final Problem problem;

    /**
     * Creates the exception; the message is {@code file + ": " + detail}.
     *
     * @param file    the file that was read
     * @param problem which check failed
     * @param detail  what was expected and what was found
     */
    public CheckpointFormatException(Path file, Problem problem, String detail) {
        this(file, problem, detail, null);
    }

    /**
     * Creates the exception with a cause; the message is {@code file + ": " + detail}.
     *
     * @param file    the file that was read
     * @param problem which check failed
     * @param detail  what was expected and what was found
     * @param cause   the low-level error, e.g. a JSON parse error, or null
     */
    public CheckpointFormatException(Path file, Problem problem, String detail, Throwable cause) {
        super(file + ": " + detail, cause);
        this.file = file;
        this.problem = problem;
    }

    /** {@return the file that was read; null after deserialisation (the path is not serialised)} */
    public Path file() {
        return file;
    }

    /** {@return which check failed} */
    public Problem problem() {
        return problem;
    }
}
