/**
 * JMH benchmarks for jrnn: GRU vs LSTM, GPU vs CPU.
 *
 * <ul>
 *   <li>{@link dev.jrnn.bench.TrainingBenchmark}: a whole training step (forward, backward, Adam)
 *       and inference of the seed notebook's model, in samples/s;</li>
 *   <li>{@link dev.jrnn.bench.RnnLayerBenchmark}: the recurrent stack alone, forward and
 *       forward + backward, in samples/s;</li>
 *   <li>{@link dev.jrnn.bench.KernelBenchmark}: dropout, softmax and softmax + cross-entropy
 *       alone, in GB/s of compulsory memory traffic.</li>
 * </ul>
 *
 * <p>{@link dev.jrnn.bench.BenchRunner} runs them (the quick profile or the full grid), skips the
 * {@code cuda} rows with a message where no GPU backend loads, and writes the report.
 */
package dev.jrnn.bench;
