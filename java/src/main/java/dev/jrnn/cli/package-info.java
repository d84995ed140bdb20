/**
 * The command line ({@code jrnn train}, {@code sweep}, {@code evaluate}, {@code predict},
 * {@code export}, {@code import}, {@code bench}, {@code summary}, {@code info}), with picocli:
 * flags, messages, progress output. The only place that exits the JVM. Internal.
 *
 * <p>May import: every other jrnn package.
 */
package dev.jrnn.cli;
