package dev.jrnn.experiment;

import dev.jrnn.backend.RnnSpec;
import dev.jrnn.io.AtomicFiles;
import dev.jrnn.train.EpochRecord;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A sweep's PNG plots, drawn headless with XChart: {@code accuracy.png} and {@code loss.png}
 * (per epoch, every model; solid: training, dashed: held-out) and {@code seconds_per_epoch.png}
 * (median epoch time, GRU next to LSTM for each size). With several seeds each point is the
 * mean over seeds.
 */
public final class SweepPlots {
    private SweepPlots() {}

    static {
        // NB: charts are drawn off-screen; without this AWT may look for a display.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** One colour per model, in model order (Tableau 10). */
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};

    private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {7f, 5f}, 0f);
    private static final BasicStroke SOLID = new BasicStroke(2f);

    /** The plot files this class writes. */
    public static final List<String> FILES = List.of("accuracy.png", "loss.png", "seconds_per_epoch.png");

    /**
     * Writes the three plots into {@code dir}.
     *
     * @param heldOut name of the held-out data in legends, e.g. {@code test} or {@code validation}
     */
    public static void write(Path dir, List<ModelName> models, List<RunResult> results, String heldOut) throws IOException {
        save(dir.resolve("accuracy.png"), perEpoch("Accuracy per epoch", "accuracy", models, results, heldOut,
                EpochRecord::accuracy, EpochRecord::valAccuracy));
        save(dir.resolve("loss.png"), perEpoch("Loss per epoch", "loss", models, results, heldOut,
                EpochRecord::loss, EpochRecord::valLoss));
        save(dir.resolve("seconds_per_epoch.png"), speed(models, results));
    }

    static XYChart perEpoch(String title, String what, List<ModelName> models, List<RunResult> results, String heldOut,
                            ToDoubleFunction<EpochRecord> train, ToDoubleFunction<EpochRecord> val) {
        XYChart c = new XYChartBuilder().width(900).height(540).title(title + " (solid: train, dashed: " + heldOut + ")")
                .xAxisTitle("epoch").yAxisTitle(what).build();
        style(c.getStyler());
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setMarkerSize(6);
        c.getStyler().setXAxisDecimalPattern("#");
        int i = 0;
        for (ModelName m : models) {
            List<RunResult> rs = results.stream().filter(r -> r.model().equals(m)).toList();
            if (rs.isEmpty()) continue;
            Color color = PALETTE[i++ % PALETTE.length];
            int epochs = rs.stream().mapToInt(r -> r.history().size()).min().orElse(0);
            double[] x = new double[epochs], yTrain = new double[epochs], yVal = new double[epochs];
            boolean hasVal = true;
            for (int e = 0; e < epochs; e++) {
                x[e] = e + 1;
                for (RunResult r : rs) {
                    yTrain[e] += train.applyAsDouble(r.history().get(e)) / rs.size();
                    yVal[e] += val.applyAsDouble(r.history().get(e)) / rs.size();
                }
                hasVal &= Double.isFinite(yVal[e]);
            }
            XYSeries s = c.addSeries(m + " train", x, yTrain);
            s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(color);
            s.setLineColor(color);
            s.setLineStyle(SOLID);
            if (hasVal) {
                XYSeries v = c.addSeries(m + " " + heldOut, x, yVal);
                v.setMarker(SeriesMarkers.DIAMOND).setMarkerColor(color);
                v.setLineColor(color);
                v.setLineStyle(DASHED);
            }
        }
        return c;
    }

    static CategoryChart speed(List<ModelName> models, List<RunResult> results) {
        CategoryChart c = new CategoryChartBuilder().width(900).height(540).title("Seconds per epoch (median): GRU vs LSTM")
                .xAxisTitle("recurrent units (x stacked layers)").yAxisTitle("seconds per epoch").build();
        style(c.getStyler());
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setLabelsVisible(true);
        c.getStyler().setYAxisDecimalPattern("#0.0");
        Set<String> sizes = new LinkedHashSet<>();
        for (ModelName m : models) {
            if (results.stream().anyMatch(r -> r.model().equals(m))) sizes.add(m.size());
        }
        if (sizes.isEmpty()) sizes.add("none");
        List<String> xs = new ArrayList<>(sizes);
        for (RnnSpec.Cell cell : RnnSpec.Cell.values()) {
            List<Double> ys = new ArrayList<>();
            boolean any = false;
            for (String size : xs) {
                List<RunResult> rs = results.stream().filter(r -> r.model().cell() == cell && r.model().size().equals(size)).toList();
                // NB: XChart draws no bar for a null value; a size trained with only one cell shows one bar.
                ys.add(rs.isEmpty() ? null : rs.stream().mapToDouble(RunResult::secondsPerEpoch).average().orElseThrow());
                any |= !rs.isEmpty();
            }
            if (any) {
                c.addSeries(cell.name(), xs, ys).setFillColor(cell == RnnSpec.Cell.LSTM ? PALETTE[0] : PALETTE[1]);
            }
        }
        return c;
    }

    private static void style(org.knowm.xchart.style.AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xdddddd));
        s.setLegendBorderColor(new Color(0xcccccc));
        s.setAntiAlias(true);
    }

    private static void save(Path file, Chart<?, ?> chart) throws IOException {
        AtomicFiles.write(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
