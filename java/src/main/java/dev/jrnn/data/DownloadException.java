package dev.jrnn.data;

import java.io.IOException;

/**
 * A dataset file could not be downloaded from any mirror, or what was downloaded failed
 * verification (length or SHA-256). The message lists each URL tried with its reason and says what
 * to do instead (fetch the file by hand into the named directory, or pass {@code --data-dir}).
 *
 * <p>When this is thrown no partial file is left behind: neither the final file nor its
 * {@code .part}.
 */
public final class DownloadException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception with its full message.
     *
     * @param message the URLs tried, why each failed, and what the user can do
     */
    public DownloadException(String message) {
        super(message);
    }
}
