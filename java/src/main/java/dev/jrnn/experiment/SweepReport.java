package dev.jrnn.experiment;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.jrnn.data.DataSelection;
import dev.jrnn.io.AtomicFiles;
import dev.jrnn.io.Checkpoint;
import dev.jrnn.train.EpochRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A sweep's tables: {@code results.md} (the notebook's findings: one row per model), and the
 * per-epoch metrics as {@code metrics.json} and {@code metrics.csv}. With several seeds a cell
 * is the mean over seeds and its sample standard deviation ({@code mean ± std}).
 */
public final class SweepReport {
    private final SweepConfig config;
    private final Path dir;
    private final String environment;
    private final int classes, trainSamples, heldOutSamples, testSamples;

    /**
     * @param data        the sweep's data (for its sizes and class count)
     * @param environment one line naming the machine and backend, printed in {@code results.md}
     */
    public SweepReport(SweepConfig config, Path dir, DataSelection.Splits data, String environment) {
        this.config = config;
        this.dir = dir;
        this.environment = environment;
        this.classes = data.train().classes();
        this.trainSamples = data.train().size();
        this.heldOutSamples = data.validation() == null ? data.test().size() : data.validation().size();
        this.testSamples = data.test().size();
    }

    /**
     * Mean and sample standard deviation (NaN for one value).
     *
     * @param mean the mean
     * @param std  the sample standard deviation, n - 1 in the denominator
     * @param n    number of values
     */
    public record Stat(double mean, double std, int n) {
        static Stat of(List<RunResult> runs, ToDoubleFunction<RunResult> f) {
            double[] x = runs.stream().mapToDouble(f).toArray();
            double m = 0;
            for (double v : x) m += v;
            m /= x.length;
            if (x.length < 2) return new Stat(m, Double.NaN, x.length);
            double ss = 0;
            for (double v : x) ss += (v - m) * (v - m);
            return new Stat(m, Math.sqrt(ss / (x.length - 1)), x.length);
        }

        String format(String fmt) {
            String s = String.format(Locale.ROOT, fmt, mean);
            return Double.isNaN(std) ? s : s + " ± " + String.format(Locale.ROOT, fmt, std);
        }

        JsonObject json() {
            JsonObject o = new JsonObject();
            o.add("mean", num(mean));
            o.add("std", num(std));
            return o;
        }
    }

    /**
     * One row of the results table.
     *
     * @param model            the model
     * @param params           trainable parameters
     * @param runs             finished runs (seeds)
     * @param testLoss         test loss after the last epoch
     * @param testAccuracy     test accuracy after the last epoch
     * @param trainAccuracy    last epoch's training accuracy
     * @param gap              train accuracy minus test accuracy
     * @param secondsPerEpoch  median epoch time
     * @param samplesPerSecond median training throughput
     */
    public record Row(ModelName model, int params, int runs, Stat testLoss, Stat testAccuracy, Stat trainAccuracy,
                      Stat gap, Stat secondsPerEpoch, Stat samplesPerSecond) {}

    /** Rows in model order, for the models with at least one finished run. */
    public List<Row> rows(List<RunResult> results) {
        List<Row> rows = new ArrayList<>();
        for (ModelName m : config.models()) {
            List<RunResult> rs = results.stream().filter(r -> r.model().equals(m)).toList();
            if (rs.isEmpty()) continue;
            rows.add(new Row(m, rs.get(0).params(), rs.size(), Stat.of(rs, r -> r.test().loss()),
                    Stat.of(rs, r -> r.test().accuracy()), Stat.of(rs, RunResult::trainAccuracy),
                    Stat.of(rs, r -> r.trainAccuracy() - r.test().accuracy()), Stat.of(rs, RunResult::secondsPerEpoch),
                    Stat.of(rs, RunResult::samplesPerSecond)));
        }
        return rows;
    }

    /** Writes results.md, metrics.json and metrics.csv (atomically, each). */
    public void write(List<RunResult> results) throws IOException {
        AtomicFiles.writeString(dir.resolve("metrics.json"),
                new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(json(results)) + "\n");
        AtomicFiles.writeString(dir.resolve("metrics.csv"), csv(results));
        AtomicFiles.writeString(dir.resolve("results.md"), markdown(results));
    }

    /** What the per-epoch {@code val_*} metrics were measured on. */
    String heldOutName() {
        return config.data().validationSplit() > 0
                ? String.format(Locale.ROOT, "validation split (last %s of the training samples)", percent(config.data().validationSplit()))
                : "test set";
    }

    JsonObject json(List<RunResult> results) {
        JsonObject o = new JsonObject();
        o.addProperty("format", "jrnn.sweep.metrics");
        o.addProperty("format_version", 1);
        o.add("config", config.toJson());
        o.addProperty("val_metrics_on", heldOutName());
        o.addProperty("environment", environment);
        JsonArray runs = new JsonArray();
        for (RunResult r : results) {
            JsonObject j = new JsonObject();
            j.addProperty("model", r.model().toString());
            j.addProperty("seed", r.seed());
            j.addProperty("params", r.params());
            j.addProperty("checkpoint", dir.toAbsolutePath().relativize(r.checkpoint().toAbsolutePath()).toString());
            JsonArray eps = new JsonArray();
            for (EpochRecord e : r.history()) eps.add(Checkpoint.epochJson(e));
            j.add("epochs", eps);
            j.add("test", Checkpoint.evaluationJson(r.test()));
            runs.add(j);
        }
        o.add("runs", runs);
        JsonArray summary = new JsonArray();
        for (Row row : rows(results)) {
            JsonObject j = new JsonObject();
            j.addProperty("model", row.model().toString());
            j.addProperty("params", row.params());
            j.addProperty("runs", row.runs());
            j.add("test_loss", row.testLoss().json());
            j.add("test_accuracy", row.testAccuracy().json());
            j.add("train_accuracy", row.trainAccuracy().json());
            j.add("train_test_gap", row.gap().json());
            j.add("seconds_per_epoch", row.secondsPerEpoch().json());
            j.add("samples_per_second", row.samplesPerSecond().json());
            summary.add(j);
        }
        o.add("summary", summary);
        return o;
    }

    String csv(List<RunResult> results) {
        StringBuilder sb = new StringBuilder("model,cell,units,layers,seed,epoch,loss,accuracy,val_loss,val_accuracy,seconds,samples_per_second\n");
        for (RunResult r : results) {
            for (EpochRecord e : r.history()) {
                sb.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%s,%s,%s,%s,%s,%s%n", r.model(),
                        r.model().cell().name().toLowerCase(Locale.ROOT), r.model().units(), r.model().layers(), r.seed(),
                        e.epoch(), csvNum(e.loss()), csvNum(e.accuracy()), csvNum(e.valLoss()), csvNum(e.valAccuracy()),
                        csvNum(e.seconds()), csvNum(e.samplesPerSecond())));
            }
        }
        return sb.toString();
    }

    String markdown(List<RunResult> results) {
        List<Row> rows = rows(results);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# jrnn sweep: %s, %d epochs%n%n", config.data().dataset(), config.epochs()));
        sb.append(String.format(Locale.ROOT, "- Models: recurrent stack (%s cells%s), Dropout(%s), Dense(64, relu), Dropout(%s),"
                        + " Dense(%d, softmax); Adam lr %s, batch %d%s.%n", config.activation().keyword(),
                config.merge() == null ? "" : ", each layer Bidirectional, merge " + config.merge().keyword(), trim(config.dropout()),
                trim(config.dropout()), classes, trim(config.learningRate()), config.batchSize(),
                config.bucketing() ? ", batches bucketed by length" : ""));
        sb.append(String.format(Locale.ROOT, "- Data: %s%s, %,d training samples; per-epoch val_* metrics on the %s (%,d samples);"
                        + " test set %,d samples.%n", config.data().dataset(),
                config.data().preprocess().binarized() ? " (binarised)" : "", trainSamples, heldOutName(), heldOutSamples, testSamples));
        sb.append(String.format(Locale.ROOT, "- Seeds: %s (%d run%s per model).%n", seedList(), config.seeds().size(),
                config.seeds().size() == 1 ? "" : "s"));
        sb.append("- Machine: ").append(environment).append('\n');
        double total = results.stream().flatMap(r -> r.history().stream()).mapToDouble(EpochRecord::seconds).sum();
        sb.append(String.format(Locale.ROOT, "- Training time, all runs: %s (sum of epoch times; evaluation excluded).%n%n", duration(total)));
        if (results.isEmpty()) sb.append("No run has finished yet.\n\n");
        String pm = config.repeated() ? " (mean ± std over seeds)" : "";
        sb.append("| Model | Params | Test loss | Test accuracy | Train accuracy | Gap (train − test) | s/epoch | samples/s |\n");
        sb.append("|---|--:|--:|--:|--:|--:|--:|--:|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %s | %s | %s | %s | %s | %s |%n", r.model(), r.params(),
                    r.testLoss().format("%.4f"), r.testAccuracy().format("%.4f"), r.trainAccuracy().format("%.4f"),
                    r.gap().format("%+.4f"), r.secondsPerEpoch().format("%.1f"), r.samplesPerSecond().format("%,.0f")));
        }
        sb.append('\n');
        List<String> findings = findings(rows);
        if (!findings.isEmpty()) {
            sb.append("Findings").append(pm).append(":\n\n");
            for (String f : findings) sb.append("- ").append(f).append('\n');
            sb.append('\n');
        }
        sb.append("Train accuracy is the last epoch's running accuracy with dropout active, as Keras reports it; the gap is"
                + " train minus test accuracy. s/epoch and samples/s are medians over epochs (the first epoch includes JIT"
                + " warm-up).\n\n");
        sb.append("![accuracy per epoch](accuracy.png)\n\n![loss per epoch](loss.png)\n\n"
                + "![seconds per epoch, GRU vs LSTM](seconds_per_epoch.png)\n");
        return sb.toString();
    }

    /** Sentences like the notebook's conclusions: best model, GRU vs LSTM speed and accuracy per size, largest gap. */
    static List<String> findings(List<Row> rows) {
        List<String> out = new ArrayList<>();
        if (rows.isEmpty()) return out;
        Row best = rows.stream().max((a, b) -> Double.compare(a.testAccuracy().mean(), b.testAccuracy().mean())).orElseThrow();
        out.add(String.format(Locale.ROOT, "Best test accuracy: %s, %.4f.", best.model(), best.testAccuracy().mean()));
        Map<String, Row[]> bySize = new LinkedHashMap<>();
        for (Row r : rows) {
            Row[] pair = bySize.computeIfAbsent(r.model().size(), k -> new Row[2]);
            pair[r.model().cell() == dev.jrnn.backend.RnnSpec.Cell.LSTM ? 0 : 1] = r;
        }
        for (Map.Entry<String, Row[]> e : bySize.entrySet()) {
            Row lstm = e.getValue()[0], gru = e.getValue()[1];
            if (lstm == null || gru == null) continue;
            double ratio = lstm.secondsPerEpoch().mean() / gru.secondsPerEpoch().mean();
            out.add(String.format(Locale.ROOT, "%s vs %s: GRU %s per epoch (%.1f s vs %.1f s), %,d vs %,d params,"
                            + " test accuracy %+.2f points.", gru.model(), lstm.model(),
                    ratio >= 1 ? String.format(Locale.ROOT, "%.2fx as fast", ratio) : String.format(Locale.ROOT, "%.2fx slower", 1 / ratio),
                    gru.secondsPerEpoch().mean(), lstm.secondsPerEpoch().mean(), gru.params(), lstm.params(),
                    100 * (gru.testAccuracy().mean() - lstm.testAccuracy().mean())));
        }
        Row gap = rows.stream().max((a, b) -> Double.compare(a.gap().mean(), b.gap().mean())).orElseThrow();
        out.add(String.format(Locale.ROOT, "Largest train-test gap: %s, %+.2f points%s.", gap.model(), 100 * gap.gap().mean(),
                gap.gap().mean() < 0 ? " (test above train: dropout lowers the training accuracy)" : ""));
        return out;
    }

    private String seedList() {
        List<Long> s = config.seeds();
        return s.size() <= 3 ? s.toString().replaceAll("[\\[\\]]", "") : s.get(0) + ".." + s.get(s.size() - 1);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh %02dm", s / 3600, s % 3600 / 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60) : String.format(Locale.ROOT, "%.1f s", seconds);
    }

    private static String percent(double f) {
        return trim(100 * f) + "%";
    }

    private static String trim(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
    }

    private static String trim(float x) {
        return x == Math.rint(x) ? Long.toString((long) x) : Float.toString(x);
    }

    private static String csvNum(double x) {
        return Double.isFinite(x) ? Double.toString(x) : "";
    }

    private static JsonElement num(double x) {
        return Double.isFinite(x) ? new JsonPrimitive(x) : JsonNull.INSTANCE;
    }
}
