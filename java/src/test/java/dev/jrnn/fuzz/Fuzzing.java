package dev.jrnn.fuzz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What the fuzz targets share: the rule that only a
 * documented exception with a message may escape, and a small mutation fuzzer for the time-boxed
 * run of every target in CI (the long campaign runs Jazzer's coverage-guided engine: scripts/fuzz.sh).
 */
public final class Fuzzing {
    private Fuzzing() {}

    /** A parser call that may throw anything. */
    @FunctionalInterface
    public interface Target {
        void run(byte[] input) throws Exception;
    }

    /**
     * Runs {@code body}; an exception of one of the {@code allowed} types with a non-blank message
     * is the parser's documented refusal and is swallowed; anything else (another exception type,
     * a message-less one, an Error such as OutOfMemoryError or StackOverflowError) is rethrown
     * wrapped in an AssertionError naming the input's size.
     */
    @SafeVarargs
    public static void only(byte[] input, Target body, Class<? extends Throwable>... allowed) {
        try {
            body.run(input);
        } catch (Throwable t) {
            for (Class<? extends Throwable> a : allowed) {
                if (a.isInstance(t)) {
                    if (t.getMessage() == null || t.getMessage().isBlank()) {
                        throw new AssertionError("documented " + t.getClass().getSimpleName() + " without a message", t);
                    }
                    return;
                }
            }
            throw new AssertionError("unexpected " + t.getClass().getName() + " on a " + input.length + "-byte input: "
                    + t.getMessage(), t);
        }
    }

    /** The seed corpus of a target: the files Jazzer's regression mode runs too. */
    public static List<byte[]> corpus(Class<?> test, String method) throws IOException {
        Path dir = Path.of("src/test/resources").resolve(test.getPackageName().replace('.', '/'))
                .resolve(test.getSimpleName() + "Inputs").resolve(method);
        List<byte[]> seeds = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.sorted().toList()) seeds.add(Files.readAllBytes(p));
            }
        }
        if (seeds.isEmpty()) throw new IllegalStateException("no seed corpus in " + dir.toAbsolutePath());
        return seeds;
    }

    /** Seconds of mutation fuzzing per target in a normal test run; -Djrnn.fuzz.seconds changes it. */
    public static double seconds() {
        return Double.parseDouble(System.getProperty("jrnn.fuzz.seconds", "3"));
    }

    /** What a time-boxed run did. */
    public record Stats(long inputs, long slowestMicros) {}

    /**
     * Mutates the seeds (bit flips, byte and int overwrites with boundary values, inserts, deletes,
     * splices, truncation) for {@code seconds}, feeding every input to {@code check}; fails on the
     * first input that {@code check} rejects or that takes longer than {@code hangMillis}.
     */
    public static Stats mutate(List<byte[]> seeds, double seconds, long seed, long hangMillis, Target check) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        long end = System.nanoTime() + (long) (seconds * 1e9), n = 0, slowest = 0;
        for (byte[] s : seeds) slowest = Math.max(slowest, timed(s, check, hangMillis));
        n += seeds.size();
        while (System.nanoTime() < end) {
            byte[] in = seeds.get(r.nextInt(seeds.size())).clone();
            int rounds = 1 + r.nextInt(4);
            for (int k = 0; k < rounds; k++) in = mutateOnce(in, seeds, r);
            slowest = Math.max(slowest, timed(in, check, hangMillis));
            n++;
        }
        return new Stats(n, slowest);
    }

    private static long timed(byte[] in, Target check, long hangMillis) throws Exception {
        long t0 = System.nanoTime();
        check.run(in);
        long us = (System.nanoTime() - t0) / 1000;
        if (us > hangMillis * 1000) {
            throw new AssertionError("input of " + in.length + " bytes took " + us / 1000 + " ms (limit " + hangMillis + ")");
        }
        return us;
    }

    private static final int[] INTERESTING = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, Integer.MAX_VALUE,
            Integer.MIN_VALUE, Integer.MAX_VALUE - 8, 1 << 16, 1 << 24, 28, 784, 60000};

    static byte[] mutateOnce(byte[] in, List<byte[]> seeds, SplittableRandom r) {
        int len = in.length;
        switch (r.nextInt(9)) {
            case 0 -> {                                   // flip a bit
                if (len > 0) in[r.nextInt(len)] ^= (byte) (1 << r.nextInt(8));
            }
            case 1 -> {                                   // random byte
                if (len > 0) in[r.nextInt(len)] = (byte) r.nextInt(256);
            }
            case 2 -> {                                   // an interesting 32-bit value, either byte order
                if (len >= 4) {
                    int v = INTERESTING[r.nextInt(INTERESTING.length)], at = r.nextInt(len - 3);
                    boolean big = r.nextBoolean();
                    for (int i = 0; i < 4; i++) in[at + i] = (byte) (v >>> (big ? 24 - 8 * i : 8 * i));
                }
            }
            case 3 -> {                                   // an interesting 64-bit length (safetensors' header)
                if (len >= 8) {
                    long v = r.nextBoolean() ? INTERESTING[r.nextInt(INTERESTING.length)] & 0xffffffffL
                            : (readLongLe(in) + r.nextInt(-16, 17));
                    for (int i = 0; i < 8; i++) in[i] = (byte) (v >>> (8 * i));
                }
            }
            case 4 -> {                                   // delete a range
                if (len > 0) {
                    int a = r.nextInt(len), b = Math.min(len, a + 1 + r.nextInt(Math.min(len - a, 64)));
                    byte[] o = new byte[len - (b - a)];
                    System.arraycopy(in, 0, o, 0, a);
                    System.arraycopy(in, b, o, a, len - b);
                    return o;
                }
            }
            case 5 -> {                                   // insert random bytes or ASCII JSON-ish text
                int at = len == 0 ? 0 : r.nextInt(len + 1), k = 1 + r.nextInt(16);
                byte[] ins = new byte[k];
                String text = "{}[]\",:0123456789eE-+.tnfalsrunul \\";
                for (int i = 0; i < k; i++) {
                    ins[i] = r.nextBoolean() ? (byte) r.nextInt(256) : (byte) text.charAt(r.nextInt(text.length()));
                }
                byte[] o = new byte[len + k];
                System.arraycopy(in, 0, o, 0, at);
                System.arraycopy(ins, 0, o, at, k);
                System.arraycopy(in, at, o, at + k, len - at);
                return o;
            }
            case 6 -> {                                   // truncate
                if (len > 0) return java.util.Arrays.copyOf(in, r.nextInt(len));
            }
            case 7 -> {                                   // splice with another seed
                byte[] other = seeds.get(r.nextInt(seeds.size()));
                int a = len == 0 ? 0 : r.nextInt(len), b = other.length == 0 ? 0 : r.nextInt(other.length);
                byte[] o = new byte[a + other.length - b];
                System.arraycopy(in, 0, o, 0, a);
                System.arraycopy(other, b, o, a, other.length - b);
                return o;
            }
            default -> {                                  // replace a JSON token-ish run with a number or string
                if (len > 0) {
                    String[] tokens = {"1e999999999", "-0", "null", "\"\"", "[]", "{}", "2147483648", "-1", "1.5", "\"\\u0000\""};
                    byte[] t = tokens[r.nextInt(tokens.length)].getBytes(StandardCharsets.US_ASCII);
                    int at = r.nextInt(len), cut = Math.min(len - at, r.nextInt(8));
                    byte[] o = new byte[len - cut + t.length];
                    System.arraycopy(in, 0, o, 0, at);
                    System.arraycopy(t, 0, o, at, t.length);
                    System.arraycopy(in, at + cut, o, at + t.length, len - at - cut);
                    return o;
                }
            }
        }
        return in;
    }

    private static long readLongLe(byte[] b) {
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | (b[i] & 0xffL);
        return v;
    }
}
