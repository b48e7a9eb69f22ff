using Loom.Classification;
using ScottPlot;

namespace Loom.Cli.Plots;

/// <summary>A confusion matrix as a PNG: rows are true classes, columns predicted, cells shaded by row-normalised share.</summary>
internal static class ConfusionMatrixPlot
{
    public static void Save(ClassificationReport report, string path, string title)
    {
        int k = report.Labels.Count;
        var plot = new Plot();
        var colormap = new ScottPlot.Colormaps.Viridis();
        for (int t = 0; t < k; t++)
        {
            int rowTotal = Enumerable.Range(0, k).Sum(p => report.Confusion[t, p]);
            for (int p = 0; p < k; p++)
            {
                double share = rowTotal == 0 ? 0 : (double)report.Confusion[t, p] / rowTotal;
                double y = k - 1 - t; // first true class at the top
                var cell = plot.Add.Rectangle(p - 0.5, p + 0.5, y - 0.5, y + 0.5);
                cell.FillColor = colormap.GetColor(share);
                cell.LineWidth = 0;
                if (report.Confusion[t, p] > 0 && k <= 30)
                {
                    var text = plot.Add.Text(report.Confusion[t, p].ToString(), p, y);
                    text.LabelFontSize = k > 15 ? 8 : 11;
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontColor = share > 0.5 ? Colors.Black : Colors.White;
                }
            }
        }
        double[] positions = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, report.Labels.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 60;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 12 + 7 * report.Labels.Max(l => l.Length);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.Select(p => k - 1 - p).ToArray(), report.Labels.ToArray());
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.HideGrid();
        plot.Title(title);
        plot.XLabel("predicted");
        plot.YLabel("true");
        int size = Math.Clamp(200 + 36 * k, 500, 1400);
        plot.SavePng(path, size, size + 80);
    }
}
