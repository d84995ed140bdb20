package dev.jrnn.data;

import java.io.IOException;

/**
 * A dataset's files are in none of the searched directories and downloading was not allowed.
 * The message names the missing files and every directory searched.
 */
public final class DatasetNotFoundException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception with its full message.
     *
     * @param message the missing files, the directories searched and what to do
     */
    public DatasetNotFoundException(String message) {
        super(message);
    }
}
