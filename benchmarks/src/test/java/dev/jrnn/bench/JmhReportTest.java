package dev.jrnn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.bench.JmhResults.Estimate;
import dev.jrnn.bench.JmhResults.Results;
import dev.jrnn.bench.JmhResults.Row;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JMH report on the fixtures in {@code src/test/resources/jmh} (made by
 * {@code make_fixtures.py}: JMH 1.37's layout with round scores; {@code real-kernel-row.json} is
 * unedited JMH output).
 */
class JmhReportTest {

    static Path fixture(String name, Path dir) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream in = JmhReportTest.class.getResourceAsStream("/jmh/" + name)) {
            if (in == null) throw new IOException("missing test resource /jmh/" + name);
            Files.copy(in, p);
        }
        return p;
    }

    static Row find(List<Row> rows, String name, String... kv) {
        return rows.stream().filter(r -> r.name().equals(name)).filter(r -> {
            for (int i = 0; i < kv.length; i += 2) if (!kv[i + 1].equals(r.param(kv[i]))) return false;
            return true;
        }).findFirst().orElseThrow(() -> new AssertionError("no row " + name + " " + Arrays.toString(kv)));
    }

    @Test
    void ratiosAddRelativeErrorsInQuadrature() {
        Estimate r = new Estimate(12500, 500).over(new Estimate(10000, 500));
        assertEquals(1.25, r.value(), 1e-12);
        assertEquals(1.25 * Math.sqrt(0.04 * 0.04 + 0.05 * 0.05), r.error(), 1e-12);
        assertTrue(Double.isNaN(new Estimate(1, Double.NaN).over(new Estimate(2, 0.1)).error()));
    }

    @Test
    void parsesSamplesAndGigabytesAndNaNErrors(@TempDir Path dir) throws IOException {
        Results res = JmhResults.read(fixture("cpu-only.json", dir));
        assertEquals(7, res.rows().size());
        Row train = find(res.rows(), "TrainingBenchmark.trainStep", "cell", "gru");
        assertEquals("samples/s", train.unit());
        assertEquals(12500, train.score().value());
        assertEquals(500, train.score().error());
        assertEquals("2 forks x (3 x 2 s warm-up + 5 x 2 s measured)", train.timing());
        assertTrue(Double.isNaN(find(res.rows(), "TrainingBenchmark.inference", "cell", "gru").score().error()));
        Row k = find(res.rows(), "KernelBenchmark.dropoutForward");
        assertEquals("GB/s", k.unit());
        assertEquals(2.5, k.score().value());
        assertEquals("1.37", res.run().jmhVersion());

        Results real = JmhResults.read(fixture("real-kernel-row.json", dir));
        Row r = real.rows().get(0);
        assertEquals("KernelBenchmark", r.benchmark());
        assertEquals("softmaxCrossEntropy", r.method());
        assertEquals("GB/s", r.unit());
        assertEquals(0.19256221664482462, r.score().value());
        assertTrue(Double.isNaN(r.score().error()), "JMH writes the string \"NaN\" for a missing error");
    }

    @Test
    void cpuOnlyReportHasGruLstmRatiosAndSaysThereAreNoGpuRows(@TempDir Path dir) throws IOException {
        Path json = fixture("cpu-only.json", dir);
        Files.writeString(dir.resolve(JmhReport.MACHINE_FILE),
                "Profile: quick\nCPU: Test CPU, 2 logical processors\nSkipped backend cuda: no GPU in the test\n");
        Path out = dir.resolve("report");
        List<Path> files = JmhReport.write(json, out);
        String md = Files.readString(out.resolve("report.md"));

        // 12500/10000 = 1.25; δ = 1.25 sqrt(0.04² + 0.05²) = 0.080
        assertTrue(md.contains("| train step | cpu | 32 | 1 | 256 | 10,000 ± 500 | 12,500 ± 500 | 1.25 ± 0.08 |"), md);
        // a missing error stays visible, and makes the ratio's error unknown
        assertTrue(md.contains("| inference | cpu | 32 | 1 | 256 | 40,000 ± 1,000 | 50,000 ± n/a | 1.25 ± n/a |"), md);
        // a GRU row without its LSTM partner has no ratio
        assertTrue(md.contains("| RNN fwd+bwd | cpu | 32 | 1 | 256 | — | 15,000 ± 300 | — |"), md);
        assertTrue(md.contains("GRU/LSTM samples/s, train step on cpu (H32 L1 B256): **1.25 ± 0.08**"), md);

        String gpuSection = md.substring(md.indexOf("## GPU vs CPU"), md.indexOf("## Kernels"));
        assertTrue(gpuSection.contains("No GPU rows in this run (Skipped backend cuda: no GPU in the test)"), gpuSection);
        assertFalse(gpuSection.contains("|"), "no GPU/CPU table without GPU rows: " + gpuSection);
        assertTrue(md.contains("- GPU/CPU: no GPU rows in this run"), md);

        assertTrue(md.contains("| dropout fwd | 1024x1024 | 1,048,576 | 2.50 ± 0.10 |"), md);
        assertTrue(md.contains("| softmax + CE | 256x10 | 2,560 | 0.250 ± 0.010 |"), md);
        assertTrue(md.contains("- Profile: quick\n- CPU: Test CPU, 2 logical processors"), md);
        assertTrue(md.contains("relative errors added in quadrature"), md);

        List<String> names = files.stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("report.md", "gru-vs-lstm-cpu.png", "kernels.png"), names);
        for (Path f : files.subList(1, files.size())) assertPng(f);
        try (var s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("gpu-vs-cpu")));
        }
        assertTrue(md.contains("![gru-vs-lstm-cpu](gru-vs-lstm-cpu.png)"), md);
    }

    @Test
    void gpuRowsGiveGpuCpuRatiosPerShape(@TempDir Path dir) throws IOException {
        Path json = fixture("with-gpu.json", dir);
        List<Path> files = JmhReport.write(json, dir);
        String md = Files.readString(dir.resolve("report.md"));
        // 200000/10000 = 20, δ = 20 sqrt(0.05² + 0.05²) = 1.41; 300000/12500 = 24, δ = 24 sqrt(0.1² + 0.04²) = 2.58
        assertTrue(md.contains("| train step | LSTM | 32 | 1 | 256 | 10,000 ± 500 | 200,000 ± 10,000 | 20.0 ± 1.4 |"), md);
        assertTrue(md.contains("| train step | GRU | 32 | 1 | 256 | 12,500 ± 500 | 300,000 ± 30,000 | 24.0 ± 2.6 |"), md);
        // GRU/LSTM on the GPU: 1.5, δ = 1.5 sqrt(0.05² + 0.1²) = 0.168
        assertTrue(md.contains("| train step | cuda | 32 | 1 | 256 | 200,000 ± 10,000 | 300,000 ± 30,000 | 1.50 ± 0.17 |"), md);
        assertTrue(md.contains("GPU/CPU samples/s, train step, LSTM (H32 L1 B256): **20.0 ± 1.4**"), md);
        // kernels: 1000/2.5 = 400, δ = 400 sqrt(0.04² + 0.05²) = 25.6
        assertTrue(md.contains("| dropout fwd | 1024x1024 | 1,048,576 | 2.50 ± 0.10 | 1,000 ± 50 | 400 ± 26 |"), md);
        assertFalse(md.contains("no GPU rows"), md);
        List<String> names = files.stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("report.md", "gru-vs-lstm-cpu.png", "gru-vs-lstm-cuda.png", "gpu-vs-cpu-lstm.png",
                "gpu-vs-cpu-gru.png", "kernels.png"), names);
        for (Path f : files.subList(1, files.size())) assertPng(f);
    }

    @Test
    void manyShapesSplitChartsPerBenchmark(@TempDir Path dir) throws IOException {
        StringBuilder json = new StringBuilder("[");
        String sep = "";
        for (String bench : List.of("trainStep", "inference")) {
            for (String cell : List.of("lstm", "gru")) {
                for (int units : new int[] {32, 64, 128}) {
                    for (int layers : new int[] {1, 4}) {
                        for (int batch : new int[] {256, 1024}) {
                            double s = 1e6 / (units * layers) * (cell.equals("gru") ? 1.3 : 1);
                            json.append(sep).append(String.format(java.util.Locale.ROOT, """
                                    {"benchmark": "dev.jrnn.bench.TrainingBenchmark.%s", "forks": 1,
                                     "params": {"backend": "cpu", "batch": "%d", "cell": "%s", "layers": "%d", "units": "%d"},
                                     "primaryMetric": {"score": 1, "scoreError": 0.1, "scoreUnit": "ops/s"},
                                     "secondaryMetrics": {"samples": {"score": %f, "scoreError": %f, "scoreUnit": "ops/s"}}}
                                    """, bench, batch, cell, layers, units, s, s / 50));
                            sep = ",";
                        }
                    }
                }
            }
        }
        Path p = dir.resolve("grid.json");
        Files.writeString(p, json.append("]").toString());
        List<Path> files = JmhReport.write(p, dir);
        List<String> names = files.stream().map(f -> f.getFileName().toString()).toList();
        assertEquals(List.of("report.md", "gru-vs-lstm-cpu-train-step.png", "gru-vs-lstm-cpu-inference.png"), names);
        String md = Files.readString(files.get(0));
        assertTrue(md.contains("GRU/LSTM samples/s, train step on cpu: **1.30** (geometric mean over 12 shapes; from 1.30 to 1.30)"), md);
        assertEquals(24, md.lines().filter(l -> l.startsWith("| train step") || l.startsWith("| inference")).count());
    }

    @Test
    void unknownBenchmarksAreListedAndBadFilesNamed(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("other.json");
        Files.writeString(p, """
                [{"benchmark": "org.example.Foo.bar", "primaryMetric": {"score": 3.5, "scoreError": 0.25, "scoreUnit": "us/op"}}]
                """);
        JmhReport.write(p, dir);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| Foo.bar |  | 3.50 ± 0.25 | us/op |"), md);
        assertTrue(md.contains("No rows of jrnn's model benchmarks"), md);

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"benchmark\": 1}");
        IOException e = assertThrows(IOException.class, () -> JmhResults.read(bad));
        assertTrue(e.getMessage().contains("bad.json") && e.getMessage().contains("JSON array"), e.getMessage());
        Files.writeString(bad, "[{\"benchmark\": \"a.B.c\"}]");
        e = assertThrows(IOException.class, () -> JmhResults.read(bad));
        assertTrue(e.getMessage().contains("primaryMetric"), e.getMessage());
    }

    @Test
    void driftingRowsAreMarked(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("drift.json");
        Files.writeString(p, """
                [{"benchmark": "dev.jrnn.bench.TrainingBenchmark.trainStep", "forks": 1,
                  "params": {"backend": "cpu", "batch": "256", "cell": "lstm", "layers": "1", "units": "32"},
                  "primaryMetric": {"score": 1, "scoreError": 0.1, "scoreUnit": "ops/s"},
                  "secondaryMetrics": {"samples": {"score": 150, "scoreError": 60, "scoreUnit": "ops/s",
                                                   "rawData": [[100, 100, 200, 200]]}}},
                 {"benchmark": "dev.jrnn.bench.TrainingBenchmark.trainStep", "forks": 2,
                  "params": {"backend": "cpu", "batch": "256", "cell": "gru", "layers": "1", "units": "32"},
                  "primaryMetric": {"score": 1, "scoreError": 0.1, "scoreUnit": "ops/s"},
                  "secondaryMetrics": {"samples": {"score": 200, "scoreError": 5, "scoreUnit": "ops/s",
                                                   "rawData": [[200, 190, 210, 200], [205, 195, 200, 200]]}}}]
                """);
        List<Row> rows = JmhResults.read(p).rows();
        assertEquals(2.0, rows.get(0).drift(), 1e-12);
        assertEquals((205.0 / 195 + 1) / 2, rows.get(1).drift(), 1e-12);
        JmhReport.write(p, dir);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| 150 ± 60 † | 200 ± 5 |"), md);
        assertTrue(md.contains("Caution: 1 of 2 rows (marked †) drift") && md.contains("changed): train step LSTM H32 L1 B256 cpu (x2.00)."), md);
    }

    static void assertPng(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', f + " is not a PNG");
    }
}
