package dev.permafrost.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.util.List;

/**
 * The run's chart, drawn with XChart: training loss against epoch (the sampled steps as a thin line, each epoch's mean
 * as a marker) on the left axis, held-out accuracy per epoch on the right.
 */
public final class RunChart {
    private RunChart() {
    }

    /** The chart as PNG bytes, {@code width} x {@code height} pixels. */
    public static byte[] png(List<EpochHistory.Epoch> epochs, List<StepLossSample.Point> steps, String title, int width, int height) {
        System.setProperty("java.awt.headless", "true"); // drawn off-screen: no display on a cluster's driver
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle("epoch").yAxisTitle("loss").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        // Accuracy on its own axis at the right, over its whole range, so epochs compare at a glance.
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.getStyler().setYAxisMin(1, 0.0);
        chart.getStyler().setYAxisMax(1, 1.0);
        chart.getStyler().setYAxisMin(0, 0.0);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisDecimalPattern("0.##");
        chart.setYAxisGroupTitle(1, "test accuracy");
        if (steps.size() >= 2) {
            XYSeries s = chart.addSeries("loss per step", steps.stream().mapToDouble(StepLossSample.Point::epochs).toArray(),
                    steps.stream().mapToDouble(StepLossSample.Point::loss).toArray());
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(new Color(150, 170, 210));
            s.setLineStyle(new BasicStroke(1f));
        }
        double[] x = epochs.stream().mapToDouble(EpochHistory.Epoch::epoch).toArray();
        if (x.length > 0) {
            XYSeries mean = chart.addSeries("mean loss per epoch", x, epochs.stream().mapToDouble(EpochHistory.Epoch::meanLoss).toArray());
            mean.setMarker(SeriesMarkers.CIRCLE);
            mean.setLineColor(new Color(30, 70, 160));
            mean.setMarkerColor(new Color(30, 70, 160));
        }
        if (epochs.stream().allMatch(e -> e.testAccuracy().isPresent()) && x.length > 0) {
            XYSeries acc = chart.addSeries("test accuracy", x, epochs.stream().mapToDouble(e -> e.testAccuracy().orElseThrow()).toArray());
            acc.setYAxisGroup(1);
            acc.setMarker(SeriesMarkers.DIAMOND);
            acc.setLineColor(new Color(200, 90, 20));
            acc.setMarkerColor(new Color(200, 90, 20));
        }
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("could not draw the run's chart: " + e.getMessage(), e);
        }
    }
}
