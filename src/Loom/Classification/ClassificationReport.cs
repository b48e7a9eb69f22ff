namespace Loom.Classification;

/// <summary>Precision, recall and F1 of one class, and how many true examples it has (support).</summary>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Evaluation of single-label predictions: accuracy, macro and micro precision/recall/F1, a per-class report
/// and the confusion matrix (rows: true class, columns: predicted class, in <see cref="Labels"/> order).
/// A prediction outside the label set (e.g. an unmatched generative answer) counts as wrong; it lowers recall
/// and accuracy but no class's precision. Undefined ratios (0/0) count as 0, as scikit-learn's default.
/// </summary>
public sealed class ClassificationReport
{
    private ClassificationReport(IReadOnlyList<string> labels, int[,] confusion, int[] trueCounts, int count, int correct, int outsideLabelSet)
    {
        Labels = labels;
        Confusion = confusion;
        Count = count;
        Accuracy = count == 0 ? 0 : (double)correct / count;
        OutsideLabelSet = outsideLabelSet;
        var perClass = new List<ClassMetrics>();
        long truePositives = 0, predictedInSet = 0;
        for (int c = 0; c < labels.Count; c++)
        {
            int tp = confusion[c, c], support = trueCounts[c], predicted = 0;
            for (int j = 0; j < labels.Count; j++) predicted += confusion[j, c];
            double precision = predicted == 0 ? 0 : (double)tp / predicted;
            double recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(labels[c], precision, recall, f1, support));
            truePositives += tp;
            predictedInSet += predicted;
        }
        PerClass = perClass;
        // Macro: plain mean over the classes that occur in the truth or in the predictions.
        var present = perClass.Where((m, c) => m.Support > 0 || Enumerable.Range(0, labels.Count).Any(j => confusion[j, c] > 0)).ToList();
        MacroPrecision = present.Count == 0 ? 0 : present.Average(m => m.Precision);
        MacroRecall = present.Count == 0 ? 0 : present.Average(m => m.Recall);
        MacroF1 = present.Count == 0 ? 0 : present.Average(m => m.F1);
        MicroPrecision = predictedInSet == 0 ? 0 : (double)truePositives / predictedInSet;
        MicroRecall = count == 0 ? 0 : (double)truePositives / count;
        MicroF1 = MicroPrecision + MicroRecall == 0 ? 0 : 2 * MicroPrecision * MicroRecall / (MicroPrecision + MicroRecall);
    }

    public IReadOnlyList<string> Labels { get; }
    /// <summary>confusion[true, predicted]; predictions outside the label set are not in it.</summary>
    public int[,] Confusion { get; }
    public int Count { get; }
    public int OutsideLabelSet { get; }
    public double Accuracy { get; }
    public double MacroPrecision { get; }
    public double MacroRecall { get; }
    public double MacroF1 { get; }
    public double MicroPrecision { get; }
    public double MicroRecall { get; }
    public double MicroF1 { get; }
    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>
    /// Compares predictions with the truth. <paramref name="labels"/> fixes the class order; by default it is the
    /// ordinally sorted set of true labels. A true label missing from <paramref name="labels"/> is an error.
    /// </summary>
    public static ClassificationReport Compute(IReadOnlyList<string> truth, IReadOnlyList<string> predicted, IReadOnlyList<string>? labels = null)
    {
        if (truth.Count != predicted.Count) throw new ArgumentException($"{truth.Count} true labels but {predicted.Count} predictions");
        labels ??= truth.Distinct().Order(StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
            if (!index.TryAdd(labels[i], i)) throw new ArgumentException($"label '{labels[i]}' is listed twice");
        var confusion = new int[labels.Count, labels.Count];
        var trueCounts = new int[labels.Count];
        int correct = 0, outside = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            if (!index.TryGetValue(truth[i], out int t)) throw new ArgumentException($"true label '{truth[i]}' is not in the label set");
            trueCounts[t]++;
            if (!index.TryGetValue(predicted[i], out int p)) { outside++; continue; }
            confusion[t, p]++;
            if (t == p) correct++;
        }
        return new ClassificationReport(labels, confusion, trueCounts, truth.Count, correct, outside);
    }
}
