package dev.jrnn.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The model grid and JMH settings shared by {@link TrainingBenchmark} and
 * {@link RnnLayerBenchmark}, so both always measure the same shapes (JMH's annotations and
 * {@code @Param} fields are inherited).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:+UseParallelGC"})
// NB: until C2 has compiled the Vector API code a step runs 10-40x slower; 8 s of warm-up covers it.
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 2)
public abstract class ModelGrid {
    @Param({"lstm", "gru"})
    public String cell;

    @Param({"32", "64", "128"})
    public int units;

    @Param({"1", "4"})
    public int layers;

    @Param({"256", "1024"})
    public int batch;

    @Param({"cpu", "cuda"})
    public String backend;

    /**
     * The cells' activation: tanh (cuDNN on the GPU), or relu (the notebook's; jrnn's own kernels on
     * the GPU). The default grid is tanh; {@code BenchRunner --activations tanh,relu} adds relu rows.
     */
    @Param({"tanh"})
    public String activation;
}
