package dev.jrnn.cli;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * {@link Main} for a child JVM that a test stops mid-run (InterruptedSweepTest): when the CLI
 * prints the line of epoch 2 (so epoch 1's checkpoint is on disk: the trainer saves it before the
 * next epoch starts), this prints {@link #PAUSED} on stdout and blocks the printing (training)
 * thread for good. The test waits for that line, an event rather than a timing, and then stops the
 * child, which therefore has always finished one or two epochs, never the whole run.
 */
public final class PausingMain {
    static final String PAUSED = "jrnn-test: paused after epoch 1's checkpoint";

    private PausingMain() {}

    public static void main(String[] args) {
        PrintStream real = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        OutputStream watching = new OutputStream() {
            private final StringBuilder seen = new StringBuilder();

            @Override
            public synchronized void write(int b) {
                real.write(b);
                seen.append((char) b);
                if (seen.indexOf("Epoch 2/") >= 0) pause();
                if (seen.length() > 4096) seen.delete(0, 2048);
            }

            private void pause() {
                real.println();
                real.println(PAUSED);
                real.flush();
                CountDownLatch never = new CountDownLatch(1);
                while (true) {
                    try {
                        never.await();
                    } catch (InterruptedException e) {
                        // keep blocking: only the test stops this JVM
                    }
                }
            }
        };
        System.setOut(new PrintStream(watching, true, StandardCharsets.UTF_8));
        Main.main(args);
    }
}
