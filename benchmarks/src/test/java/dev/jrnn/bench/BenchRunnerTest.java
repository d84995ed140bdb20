package dev.jrnn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.bench.BenchRunner.Args;
import dev.jrnn.bench.BenchRunner.Planned;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What the runner would run, read from the annotation processor's META-INF/BenchmarkList; no
 * benchmark runs here (CI must not run JMH).
 */
class BenchRunnerTest {

    static List<Planned> plan(boolean quick, List<String> backends) {
        Args a = new Args(quick, Path.of("out"), backends, List.of());
        return BenchRunner.plan(BenchRunner.options(a, backends).build());
    }

    static Map<String, Long> perBenchmark(List<Planned> plan) {
        return plan.stream().collect(Collectors.groupingBy(p -> p.benchmark().replace("dev.jrnn.bench.", ""),
                Collectors.counting()));
    }

    @Test
    void quickProfileIsTheDocumentedHandfulOfRows() {
        List<Planned> cpu = plan(true, List.of("cpu"));
        assertEquals(Map.of("TrainingBenchmark.trainStep", 2L, "TrainingBenchmark.inference", 2L,
                "RnnLayerBenchmark.forwardBackward", 2L, "KernelBenchmark.dropoutForward", 2L,
                "KernelBenchmark.softmaxCrossEntropy", 2L), perBenchmark(cpu));
        for (Planned p : cpu) {
            assertEquals("cpu", p.params().get("backend"));
            if (p.params().containsKey("units")) {
                assertEquals(Map.of("units", "32", "layers", "1", "batch", "256"),
                        Map.of("units", p.params().get("units"), "layers", p.params().get("layers"),
                                "batch", p.params().get("batch")));
            }
            // 1 fork: warm-up 8 x 1 s (kernels 3 x 1 s), 10 x 0.5 s measured, 1 s for the JVM
            assertEquals(p.benchmark().contains("Kernel") ? 3 + 5 + 1 : 8 + 5 + 1, p.seconds(), p.toString());
        }
        // under the 5 minutes the issue allows on 2 cores, even with GPU rows
        assertEquals(2 * (6 * 14 + 4 * 9), plan(true, List.of("cpu", "cuda")).stream().mapToLong(Planned::seconds).sum());
        assertEquals(20, plan(true, List.of("cpu", "cuda")).size());
    }

    @Test
    void fullGridCoversEveryShapeCellAndKernel() {
        Map<String, Long> rows = perBenchmark(plan(false, List.of("cpu", "cuda")));
        // cell {lstm, gru} x units {32, 64, 128} x layers {1, 4} x batch {256, 1024} x backend {cpu, cuda}
        for (String b : List.of("TrainingBenchmark.trainStep", "TrainingBenchmark.inference", "RnnLayerBenchmark.forward",
                "RnnLayerBenchmark.forwardBackward")) {
            assertEquals(48L, rows.get(b), b);
        }
        // 4 shapes from 256x10 to 1024x1024 x 2 backends
        for (String k : List.of("dropoutForward", "dropoutBackward", "softmax", "softmaxCrossEntropy")) {
            assertEquals(8L, rows.get("KernelBenchmark." + k), k);
        }
        assertEquals(4 * 24 + 4 * 4, plan(false, List.of("cpu")).size());
    }

    @Test
    void argumentsAreChecked() {
        Args a = BenchRunner.parse(new String[] {"--quick", "--out", "x", "--backends", "cpu"});
        assertTrue(a.quick());
        assertEquals(Path.of("x"), a.out());
        assertEquals(List.of("cpu"), a.backends());
        assertTrue(BenchRunner.parse(new String[0]).out().toString().startsWith("runs"));
        assertThrows(IllegalArgumentException.class, () -> BenchRunner.parse(new String[] {"--backends", "tpu"}));
        assertThrows(IllegalArgumentException.class, () -> BenchRunner.parse(new String[] {"--out"}));
        assertThrows(IllegalArgumentException.class, () -> BenchRunner.parse(new String[] {"--fast"}));
        assertNull(BenchRunner.parse(new String[] {"--help"}));
    }

    @Test
    void shapesParse() {
        assertEquals(List.of(256, 10), List.of(BenchSupport.shape("256x10")[0], BenchSupport.shape("256x10")[1]));
        assertThrows(IllegalArgumentException.class, () -> BenchSupport.shape("256"));
        assertThrows(IllegalArgumentException.class, () -> BenchSupport.shape("0x10"));
    }

    @Test
    void reportWritesMarkdownAndChartsFromJmhJsonWithoutRunning(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path json = dir.resolve("jmh-result.json");
        try (java.io.InputStream in = BenchRunnerTest.class.getResourceAsStream("/jmh/cpu-only.json")) {
            java.nio.file.Files.copy(in, json);
        }
        Path out = dir.resolve("out");
        Args a = BenchRunner.parse(new String[] {"--report", json.toString(), "--out", out.toString()});
        assertEquals(json, a.report());
        assertEquals(0, BenchRunner.report(a));
        String md = java.nio.file.Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| train step | cpu | 32 | 1 | 256 | 10,000 ± 500 | 12,500 ± 500 | 1.25 ± 0.08 |"), md);
        assertTrue(md.contains("No GPU rows in this run"), md);
        assertTrue(java.nio.file.Files.size(out.resolve("gru-vs-lstm-cpu.png")) > 1000);
        // without --out the report goes beside the JSON
        assertEquals(dir, BenchRunner.parse(new String[] {"--report", json.toString()}).out());
        assertThrows(IllegalArgumentException.class, () -> BenchRunner.parse(new String[] {"--report", "x.json", "--quick"}));
        java.io.IOException e = assertThrows(java.io.IOException.class,
                () -> BenchRunner.report(BenchRunner.parse(new String[] {"--report", dir.resolve("none.json").toString()})));
        assertTrue(e.getMessage().contains("none.json: no such file"), e.getMessage());
    }

    @Test
    void reluRowsComeWithActivationsRelu() {
        Args a = BenchRunner.parse(new String[] {"--quick", "--activations", "tanh,relu"});
        assertEquals(List.of("tanh", "relu"), a.activations());
        List<Planned> both = BenchRunner.plan(BenchRunner.options(a, List.of("cpu")).build());
        List<Planned> tanh = plan(true, List.of("cpu"));
        long models = tanh.stream().filter(p -> !p.benchmark().contains("KernelBenchmark")).count();
        assertEquals(tanh.size() + models, both.size(), "each model row once more, with relu cells; kernel rows once");
        assertThrows(IllegalArgumentException.class, () -> BenchRunner.parse(new String[] {"--activations", "sigmoid"}));
    }
}
