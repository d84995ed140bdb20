package dev.jrnn.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Downloads dataset files from their mirrors and verifies them.
 *
 * <p>Each mirror is tried in order. The body is streamed into {@code <file>.part} while its
 * SHA-256 is computed; the length is checked against the expected size (and thus against
 * {@code Content-Length}), the hash against the expected one, and only then is the file renamed to
 * its final name (atomically where the file system allows). On any failure the {@code .part} is
 * deleted, so a final file is always complete and verified. A final file that already exists with
 * the right hash is not downloaded again.
 *
 * <p>A progress bar (bytes in KiB or MiB) goes to stderr unless the downloader is quiet. A transfer
 * that receives nothing for the stall timeout (60 s by default) is abandoned.
 */
public final class Downloader {

    private static final Logger LOG = Logger.getLogger(Downloader.class.getName());

    /** How long to wait for a connection, and then for the response headers. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);

    /** Default for how long a transfer may go without receiving a byte before it is abandoned. */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient client;
    private final boolean progress;
    private final Duration stallTimeout;
    /** Nanosecond clock of the stall watchdog: System::nanoTime; tests drive it by events instead. */
    private final java.util.function.LongSupplier clock;

    /**
     * Creates a downloader with a caller-provided HTTP client, which the caller keeps owning.
     *
     * @param client       the HTTP client to use; it should follow redirects
     * @param progress     whether to show a progress bar on stderr
     * @param stallTimeout a transfer that receives nothing for this long is abandoned (and the next
     *                     mirror tried)
     * @throws NullPointerException     if {@code client} or {@code stallTimeout} is null
     * @throws IllegalArgumentException if {@code stallTimeout} is not positive
     */
    public Downloader(HttpClient client, boolean progress, Duration stallTimeout) {
        this(client, progress, stallTimeout, System::nanoTime);
    }

    /** As {@link #Downloader(HttpClient, boolean, Duration)}, with the watchdog reading {@code clock} (ns). */
    Downloader(HttpClient client, boolean progress, Duration stallTimeout, java.util.function.LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.client = Objects.requireNonNull(client, "client");
        this.progress = progress;
        this.stallTimeout = Objects.requireNonNull(stallTimeout, "stallTimeout");
        if (stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive, found " + stallTimeout);
        }
    }

    /**
     * Creates a downloader as {@link #Downloader(HttpClient, boolean, Duration)} with
     * {@link #DEFAULT_STALL_TIMEOUT}.
     *
     * @param client   the HTTP client to use; it should follow redirects
     * @param progress whether to show a progress bar on stderr
     * @throws NullPointerException if {@code client} is null
     */
    public Downloader(HttpClient client, boolean progress) {
        this(client, progress, DEFAULT_STALL_TIMEOUT);
    }

    /**
     * A downloader with its own client: follows redirects (never from https to http), 30 s connect
     * timeout.
     *
     * @param progress whether to show a progress bar on stderr
     * @return a new downloader with the default stall timeout
     */
    public static Downloader create(boolean progress) {
        HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
        return new Downloader(client, progress);
    }

    /**
     * Makes {@code dir/file.name()} hold the verified file, downloading it if needed.
     *
     * @param mirrors base URLs ending in {@code /}, tried in order
     * @param file    the file's name, size and SHA-256
     * @param dir     destination directory; created if missing
     * @return the verified file, {@code dir.resolve(file.name())}
     * @throws DownloadException      if no mirror delivered a file of the right size and hash; it
     *                                lists each URL and why it failed
     * @throws InterruptedIOException if the thread was interrupted
     * @throws IOException            if the directory cannot be created or written
     */
    public Path fetch(List<URI> mirrors, DataFile file, Path dir) throws IOException {
        Path target = dir.resolve(file.name());
        if (Files.isRegularFile(target)) {
            String found = sha256(target);
            if (found.equals(file.sha256())) {
                return target;
            }
            LOG.warning(target + " exists but its SHA-256 is " + found + ", expected " + file.sha256()
                    + "; downloading it again");
        }
        Files.createDirectories(dir);
        Path part = dir.resolve(file.name() + ".part");
        List<String> failures = new ArrayList<>();
        for (URI mirror : mirrors) {
            URI url = mirror.resolve(file.name());
            try {
                // NB: the progress bar names the file; without it, say at INFO what is happening
                LOG.log(progress ? Level.FINE : Level.INFO, "downloading " + url + " to " + target);
                download(url, file, part);
                move(part, target);
                return target;
            } catch (Failure e) {
                failures.add(url + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while downloading " + url);
            } catch (IOException e) {
                failures.add(url + ": " + e);
            } finally {
                Files.deleteIfExists(part);
            }
        }
        StringBuilder msg = new StringBuilder("could not download " + file.name() + " into " + dir + ":");
        if (mirrors.isEmpty()) {
            msg.append("\n  no mirror is known for it");
        }
        for (String f : failures) {
            msg.append("\n  - ").append(f);
        }
        msg.append("\nDownload it by hand into ").append(dir).append(" (").append(file.size())
                .append(" bytes, SHA-256 ").append(file.sha256())
                .append("), or pass --data-dir with a directory that holds it.");
        throw new DownloadException(msg.toString());
    }

    /** A failed attempt at one URL; the message says what was expected and what was found. */
    private static final class Failure extends IOException {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    /** Streams {@code url} into {@code part}, checking status, length and SHA-256. */
    private void download(URI url, DataFile file, Path part) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(RESPONSE_TIMEOUT).GET().build();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new Failure("HTTP " + response.statusCode() + ", expected 200");
            }
            long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared >= 0 && declared != file.size()) {
                throw new Failure("Content-Length is " + declared + " bytes, expected " + file.size());
            }
            MessageDigest sha = newSha256();
            long received = 0;
            byte[] buf = new byte[1 << 16];
            // NB: HttpClient has no read timeout for bodies; a watchdog closes the stream when
            // nothing arrives for stallTimeout, which wakes the blocked read with an IOException.
            AtomicLong lastData = new AtomicLong(clock.getAsLong());
            AtomicBoolean stalled = new AtomicBoolean();
            Thread watchdog = Thread.ofVirtual().name("jrnn-download-watchdog")
                    .start(() -> watch(body, lastData, stalled));
            try (OutputStream out = Files.newOutputStream(part);
                 ProgressBar bar = progress ? progressBar(file) : null) {
                while (true) {
                    int n;
                    try {
                        n = body.read(buf);
                    } catch (IOException e) {
                        throw new Failure(stalled.get()
                                ? "no data for " + human(stallTimeout) + " after " + received + " of "
                                        + file.size() + " bytes"
                                : "connection broke after " + received + " of " + file.size()
                                        + " bytes (" + e.getMessage() + ")");
                    }
                    if (n < 0) {
                        break;
                    }
                    lastData.set(clock.getAsLong());
                    received += n;
                    if (received > file.size()) {
                        throw new Failure("received more than the expected " + file.size() + " bytes");
                    }
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                    if (bar != null) {
                        bar.stepBy(n);
                    }
                }
            } finally {
                watchdog.interrupt();
            }
            if (received != file.size()) {
                throw new Failure("truncated: expected " + file.size() + " bytes, received " + received);
            }
            String found = HexFormat.of().formatHex(sha.digest());
            if (!found.equals(file.sha256())) {
                throw new Failure("SHA-256 mismatch: expected " + file.sha256() + ", found " + found);
            }
        }
    }

    /** Closes {@code body} once no data has arrived for {@link #stallTimeout}; stops when interrupted. */
    private void watch(InputStream body, AtomicLong lastData, AtomicBoolean stalled) {
        long limit = stallTimeout.toNanos();
        long tick = Math.max(1, Math.min(1000, stallTimeout.toMillis() / 4));
        try {
            while (true) {
                Thread.sleep(tick);
                if (clock.getAsLong() - lastData.get() > limit) {
                    stalled.set(true);
                    body.close();
                    return;
                }
            }
        } catch (InterruptedException | IOException e) {
            // interrupted: the transfer ended; IOException: closing failed, the read fails anyway
        }
    }

    /** {@code 60 s}, or {@code 500 ms} below whole seconds. */
    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static ProgressBar progressBar(DataFile file) {
        boolean big = file.size() >= (1 << 20);
        return new ProgressBarBuilder()
                .setTaskName(file.name())
                .setInitialMax(file.size())
                .setUnit(big ? "MiB" : "KiB", big ? 1 << 20 : 1 << 10)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(200)
                .showSpeed()
                .build();
    }

    private static void move(Path part, Path target) throws IOException {
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** SHA-256 of a file, 64 lower-case hex digits. */
    static String sha256(Path file) throws IOException {
        MessageDigest sha = newSha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }
}
