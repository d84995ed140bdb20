package dev.jrnn.bench;

import dev.jrnn.bench.JmhResults.Row;
import dev.jrnn.io.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The charts of {@link JmhReport}, grouped bars drawn headless with XChart, with JMH's error as
 * error bars on a linear axis:
 *
 * <pre>
 *   gru-vs-lstm-BACKEND[-BENCH].png   samples/s by shape, LSTM next to GRU, one chart per backend
 *   gpu-vs-cpu-CELL[-BENCH].png       samples/s by shape, CPU next to GPU (only with GPU rows)
 *   kernels.png                       GB/s by kernel and shape, one bar per backend
 * </pre>
 *
 * A chart with more than {@value #MAX_CATEGORIES} groups is split into one per benchmark
 * ({@code -BENCH}). The value axis is logarithmic when the bars span more than a factor 20.
 */
public final class JmhCharts {
    private JmhCharts() {}

    static {
        // NB: charts are drawn off-screen; without this AWT may look for a display.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    static final int MAX_CATEGORIES = 16;

    private static final Color BLUE = new Color(0x1f77b4), ORANGE = new Color(0xff7f0e), GREEN = new Color(0x2ca02c),
            RED = new Color(0xd62728);

    /** Writes every chart the rows allow into {@code dir} and returns the files, in report order. */
    public static List<Path> write(Path dir, List<Row> rows) throws IOException {
        List<Path> files = new ArrayList<>();
        List<Row> model = rows.stream().filter(JmhReport::isModel).sorted(JmhReport.ORDER).toList();
        for (String be : distinct(model, r -> r.param("backend"))) {
            List<Row> rs = model.stream().filter(r -> be.equals(r.param("backend"))).toList();
            grouped(dir, files, "gru-vs-lstm-" + slug(be), "GRU vs LSTM on " + be, rs,
                    r -> r.param("cell").toUpperCase(Locale.ROOT), Map.of("LSTM", BLUE, "GRU", ORANGE));
        }
        if (model.stream().anyMatch(r -> JmhReport.GPU.equals(r.param("backend")))) {
            for (String cell : distinct(model, r -> r.param("cell"))) {
                List<Row> rs = model.stream().filter(r -> cell.equals(r.param("cell"))).toList();
                grouped(dir, files, "gpu-vs-cpu-" + slug(cell), "GPU vs CPU, " + cell.toUpperCase(Locale.ROOT), rs,
                        r -> JmhReport.GPU.equals(r.param("backend")) ? "GPU" : r.param("backend").toUpperCase(Locale.ROOT),
                        Map.of("CPU", BLUE, "GPU", GREEN));
            }
        }
        List<Row> kernels = rows.stream().filter(JmhReport::isKernel).sorted(JmhReport.ORDER).toList();
        if (!kernels.isEmpty()) {
            CategoryChart c = chart("Kernels: GB/s of compulsory traffic", "GB/s", kernels,
                    r -> JmhReport.label(r) + " " + r.param("shape"), r -> r.param("backend"),
                    Map.of(JmhReport.CPU, BLUE, JmhReport.GPU, GREEN));
            files.add(save(dir.resolve("kernels.png"), c));
        }
        return files;
    }

    /** One chart of samples/s by (benchmark, shape), or one per benchmark when that is too many groups. */
    private static void grouped(Path dir, List<Path> files, String name, String title, List<Row> rows,
                                Function<Row, String> series, Map<String, Color> colors) throws IOException {
        List<String> benches = distinct(rows, Row::name);
        int groups = distinct(rows, r -> r.name() + " " + JmhReport.shape(r)).size();
        if (groups <= MAX_CATEGORIES) {
            Function<Row, String> cat = benches.size() == 1 ? JmhReport::shape : r -> JmhReport.label(r) + " " + JmhReport.shape(r);
            String t = benches.size() == 1 ? title + ": " + JmhReport.label(rows.get(0)) : title;
            files.add(save(dir.resolve(name + ".png"), chart(t, "samples/s", rows, cat, series, colors)));
            return;
        }
        for (String b : benches) {
            List<Row> rs = rows.stream().filter(r -> r.name().equals(b)).toList();
            String label = JmhReport.label(rs.get(0));
            files.add(save(dir.resolve(name + "-" + slug(label) + ".png"),
                    chart(title + ": " + label, "samples/s", rs, JmhReport::shape, series, colors)));
        }
    }

    /** Grouped bars: one group per category, one bar per series, error bars from JMH. */
    static CategoryChart chart(String title, String yTitle, List<Row> rows, Function<Row, String> category,
                               Function<Row, String> series, Map<String, Color> colors) {
        List<String> cats = distinct(rows, category);
        Map<String, Double[]> values = new LinkedHashMap<>(), errors = new LinkedHashMap<>();
        double min = Double.POSITIVE_INFINITY, max = 0;
        for (Row r : rows) {
            String s = series.apply(r);
            int i = cats.indexOf(category.apply(r));
            values.computeIfAbsent(s, k -> new Double[cats.size()])[i] = r.score().value();
            double e = r.score().error();
            errors.computeIfAbsent(s, k -> new Double[cats.size()])[i] = Double.isFinite(e) ? e : 0.0;
            if (r.score().value() > 0) {
                min = Math.min(min, r.score().value());
                max = Math.max(max, r.score().value());
            }
        }
        boolean many = cats.size() > 6;
        boolean log = max / min > 20;
        // NB: XChart 3.8 draws error bars wrongly on a logarithmic axis; there the tables carry the errors.
        CategoryChart c = new CategoryChartBuilder().width(many ? 1100 : 800).height(many ? 600 : 480).title(title)
                .yAxisTitle(yTitle + (log ? " (log scale; errors in report.md)" : " (error bars: JMH 99.9% CI)")).build();
        var st = c.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotGridLinesColor(new Color(0xdddddd));
        st.setLegendBorderColor(new Color(0xcccccc));
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        st.setLegendLayout(Styler.LegendLayout.Horizontal);
        st.setAntiAlias(true);
        st.setErrorBarsColor(Color.DARK_GRAY);
        st.setAvailableSpaceFill(0.7);
        if (many) st.setXAxisLabelRotation(30);
        st.setYAxisLogarithmic(log);
        // NB: bars start at the axis minimum, which XChart puts at 0 unless told; a log axis needs it positive.
        if (log) st.setYAxisMin(Math.pow(10, Math.floor(Math.log10(min * 0.5))));
        st.setYAxisDecimalPattern((log ? min : max) >= 100 ? "#,##0" : "#,##0.###");
        int bars = cats.size() * values.size();
        st.setLabelsVisible(bars <= 12);
        st.setLabelsFontColorAutomaticEnabled(false);
        st.setLabelsFontColor(Color.BLACK);
        int k = 0;
        Color[] fallback = {BLUE, ORANGE, GREEN, RED};
        for (Map.Entry<String, Double[]> e : values.entrySet()) {
            List<Double> ys = Arrays.asList(e.getValue()), es = Arrays.asList(errors.get(e.getKey()));
            // NB: XChart draws no bar for a null value (a shape measured for one series only), but
            // cannot draw error bars in a series with one.
            var s = log || ys.contains(null) ? c.addSeries(e.getKey(), cats, ys) : c.addSeries(e.getKey(), cats, ys, es);
            s.setFillColor(colors.getOrDefault(e.getKey(), fallback[k++ % fallback.length]));
        }
        return c;
    }

    private static List<String> distinct(List<Row> rows, Function<Row, String> f) {
        Set<String> s = new LinkedHashSet<>();
        for (Row r : rows) s.add(f.apply(r));
        return new ArrayList<>(s);
    }

    static String slug(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    private static Path save(Path file, CategoryChart chart) throws IOException {
        AtomicFiles.write(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        return file;
    }
}
