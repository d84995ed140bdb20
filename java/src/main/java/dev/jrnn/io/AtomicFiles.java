package dev.jrnn.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that readers see either the old or the new contents, never a mix: the bytes go
 * to a hidden temporary file in the target's directory ({@code .NAME.<random>.tmp}), are forced
 * to the device, and the temporary file is renamed over the target in one atomic step.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /**
     * Replaces {@code target} with {@code bytes} atomically, creating its directory if needed.
     * On failure the target is left as it was and the temporary file is removed. Concurrent writers
     * of one target do not corrupt it: the last rename wins.
     *
     * @param target the file to replace or create
     * @param bytes  its new contents
     * @throws java.nio.file.AtomicMoveNotSupportedException if the file system cannot rename
     *                                                       atomically
     * @throws IOException if the directory cannot be created or the file cannot be written
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        // NB: not Files.createTempFile, which makes the file owner-only (0600); this keeps the umask's permissions.
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            forceDirectory(dir);
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
    }

    /**
     * Replaces {@code target} with the UTF-8 bytes of {@code text} atomically, as
     * {@link #write(Path, byte[])}.
     *
     * @param target the file to replace or create
     * @param text   its new contents
     * @throws IOException if the directory cannot be created or the file cannot be written
     */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Deletes temporary files that an interrupted {@link #write} of {@code target} left behind
     * (a process killed between creating and renaming them). Do not call it while another
     * process may be writing {@code target}: its temporary file would be deleted too.
     *
     * @param target the file whose temporaries to delete; the file itself is kept
     * @return how many were deleted (0 when the directory does not exist)
     * @throws IOException if the directory cannot be listed or a file cannot be deleted
     */
    public static int deleteStaleTemporaries(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (!Files.isDirectory(dir)) return 0;
        int n = 0;
        String glob = "." + abs.getFileName() + ".*.tmp";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob.replace("[", "\\[").replace("{", "\\{"))) {
            for (Path p : ds) {
                if (Files.deleteIfExists(p)) n++;
            }
        }
        return n;
    }

    /**
     * Last resort when {@code intended} cannot be written (its disk filled up, its directory went
     * away): writes {@code bytes} to {@code jrnn-rescue-<pid>-NAME} in the system's temporary
     * directory, else in the working directory, so that what a long run produced is not lost.
     *
     * @param intended the file that could not be written
     * @param bytes    its contents
     * @return where the bytes are now, or null when neither place could be written
     */
    public static Path writeRescue(Path intended, byte[] bytes) {
        String name = "jrnn-rescue-" + ProcessHandle.current().pid() + "-" + intended.getFileName();
        for (String dir : new String[] {System.getProperty("java.io.tmpdir"), System.getProperty("user.dir")}) {
            if (dir == null) continue;
            Path p = Path.of(dir).resolve(name);
            try {
                write(p, bytes);
                return p;
            } catch (IOException | RuntimeException e) {
                // try the next place
            }
        }
        return null;
    }

    /** NB: makes the rename itself durable on Linux; other systems may refuse to open a directory, which is harmless. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort
        }
    }
}
