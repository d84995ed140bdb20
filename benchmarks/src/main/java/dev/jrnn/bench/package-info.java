/** JMH benchmarks for jrnn: GRU vs LSTM, GPU vs CPU. Filled in by the benchmark issue. */
package dev.jrnn.bench;
