using Loom.Clustering;
using ScottPlot;

namespace Loom.Cli.Plots;

/// <summary>PNG pictures of a topic model: the document map, top-word bars per topic, and the topic hierarchy.</summary>
internal static class TopicPlots
{
    internal static readonly IPalette Palette = new ScottPlot.Palettes.Category20();

    /// <summary>A short name of a topic: its label, or its first words.</summary>
    public static string Name(Topic topic, int words = 3)
        => topic.Label ?? $"{topic.Id}: {string.Join(" ", topic.Words.Take(words).Select(w => w.Word))}";

    /// <summary>2-D document map: one colour per topic, outliers in light grey, each topic named at its median point.</summary>
    public static void SaveMap(float[][] layout, int[] assignments, IReadOnlyList<Topic> topics, string path, string title, int labelledTopics = 20)
    {
        var plot = new Plot();
        var outliers = Enumerable.Range(0, layout.Length).Where(i => assignments[i] == -1).ToArray();
        if (outliers.Length > 0)
        {
            var grey = plot.Add.ScatterPoints(outliers.Select(i => (double)layout[i][0]).ToArray(), outliers.Select(i => (double)layout[i][1]).ToArray());
            grey.Color = Colors.LightGray;
            grey.MarkerSize = 2;
        }
        foreach (var topic in topics.Where(t => t.Id >= 0))
        {
            var members = Enumerable.Range(0, layout.Length).Where(i => assignments[i] == topic.Id).ToArray();
            if (members.Length == 0) continue;
            var xs = members.Select(i => (double)layout[i][0]).ToArray();
            var ys = members.Select(i => (double)layout[i][1]).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys);
            points.Color = Palette.GetColor(topic.Id).WithAlpha(0.6);
            points.MarkerSize = 3;
        }
        foreach (var topic in topics.Where(t => t.Id >= 0 && t.Id < labelledTopics))
        {
            var members = Enumerable.Range(0, layout.Length).Where(i => assignments[i] == topic.Id).ToArray();
            if (members.Length == 0) continue;
            double x = Median(members.Select(i => (double)layout[i][0])), y = Median(members.Select(i => (double)layout[i][1]));
            var text = plot.Add.Text(Name(topic, 2), x, y);
            text.LabelFontSize = 11;
            text.LabelBold = true;
            text.LabelFontColor = Palette.GetColor(topic.Id).Darken(0.5);
            text.LabelBackgroundColor = Colors.White.WithAlpha(0.7);
            text.LabelAlignment = Alignment.MiddleCenter;
        }
        plot.HideGrid();
        plot.Axes.Frameless(); // UMAP coordinates have no meaning: no ticks, no frame
        plot.Title(title);
        plot.SavePng(path, 1100, 900);
    }

    /// <summary>Horizontal bars of the top words' scores, one panel per topic (the largest topics first).</summary>
    public static void SaveTopWords(IReadOnlyList<Topic> topics, string path, int maxTopics = 8, int words = 8)
    {
        var shown = topics.Where(t => t.Id >= 0).Take(maxTopics).ToList();
        if (shown.Count == 0) throw new InvalidOperationException("no topics to draw");
        int columns = Math.Min(4, shown.Count), rows = (shown.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.AddPlots(shown.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (int p = 0; p < shown.Count; p++)
        {
            var plot = multiplot.GetPlot(p);
            var topWords = shown[p].Words.Take(words).ToArray();
            double[] values = topWords.Select(w => (double)w.Score).Reverse().ToArray();
            var bars = plot.Add.Bars(values);
            bars.Horizontal = true;
            foreach (var bar in bars.Bars) bar.FillColor = Palette.GetColor(shown[p].Id);
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                Enumerable.Range(0, values.Length).Select(i => (double)i).ToArray(), topWords.Select(w => w.Word).Reverse().ToArray());
            plot.Axes.Left.MinimumSize = 90;
            plot.Axes.Margins(left: 0);
            plot.Title($"topic {shown[p].Id} ({shown[p].Size} docs)", size: 12);
        }
        multiplot.SavePng(path, 320 * columns, 300 * rows);
    }

    /// <summary>Dendrogram of the topics: merge distance across, leaves (topics) down the side.</summary>
    public static void SaveHierarchy(IReadOnlyList<TopicMerge> merges, IReadOnlyList<string> leafNames, string path)
    {
        int n = leafNames.Count;
        if (n < 2) throw new InvalidOperationException("a hierarchy needs at least two topics");
        var children = merges.ToDictionary(m => m.Node, m => (m.Left, m.Right, m.Distance));
        // Leaf order: depth-first from the root, so merged groups sit together.
        var order = new List<int>();
        void Walk(int node)
        {
            if (node < n) { order.Add(node); return; }
            Walk(children[node].Left);
            Walk(children[node].Right);
        }
        Walk(merges[^1].Node);
        var y = new Dictionary<int, double>();
        var x = new Dictionary<int, double>();
        for (int i = 0; i < order.Count; i++) { y[order[i]] = order.Count - 1 - i; x[order[i]] = 0; }
        var plot = new Plot();
        foreach (var merge in merges)
        {
            foreach (int child in new[] { merge.Left, merge.Right })
            {
                var line = plot.Add.Line(x[child], y[child], merge.Distance, y[child]);
                line.LineWidth = 1.5f;
                line.Color = Colors.SteelBlue;
            }
            var joint = plot.Add.Line(merge.Distance, y[merge.Left], merge.Distance, y[merge.Right]);
            joint.LineWidth = 1.5f;
            joint.Color = Colors.SteelBlue;
            x[merge.Node] = merge.Distance;
            y[merge.Node] = (y[merge.Left] + y[merge.Right]) / 2;
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            order.Select(leaf => y[leaf]).ToArray(), order.Select(leaf => leafNames[leaf]).ToArray());
        plot.Axes.Left.MinimumSize = 12 + 7 * leafNames.Max(l => l.Length);
        plot.XLabel("cosine distance of c-TF-IDF (average linkage)");
        plot.HideGrid();
        plot.Title("topic hierarchy");
        plot.SavePng(path, 1000, Math.Clamp(120 + 22 * n, 400, 2000));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
