package dev.jrnn.data;

import java.util.HexFormat;
import java.util.Objects;

/**
 * One file of a dataset as published on its mirrors.
 *
 * @param name   file name on the mirrors, e.g. {@code train-images-idx3-ubyte.gz}
 * @param size   its length in bytes
 * @param sha256 its SHA-256, 64 lower-case hex digits; downloads are checked against it
 */
public record DataFile(String name, long size, String sha256) {

    /**
     * Checks the fields and lower-cases the hash.
     *
     * @throws NullPointerException     if {@code name} or {@code sha256} is null
     * @throws IllegalArgumentException if {@code name} is empty or contains a path separator,
     *                                  {@code size} is not positive, or {@code sha256} is not 64
     *                                  hex digits
     */
    public DataFile {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException("file name must be a plain name, found '" + name + "'");
        }
        if (size <= 0) {
            throw new IllegalArgumentException(name + ": size must be positive, found " + size);
        }
        Objects.requireNonNull(sha256, "sha256");
        if (sha256.length() != 64 || !sha256.chars().allMatch(HexFormat::isHexDigit)) {
            throw new IllegalArgumentException(name + ": SHA-256 must be 64 hex digits, found '" + sha256 + "'");
        }
        sha256 = sha256.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * {@return the name of the uncompressed form, also accepted on disk: {@code name} without
     * {@code .gz}, or {@code name} itself when it does not end in {@code .gz}}
     */
    public String rawName() {
        return name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
    }
}
