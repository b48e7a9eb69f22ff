using Loom.Classification;

namespace Loom.Clustering;

/// <summary>
/// Class-based TF-IDF (BERTopic): all documents of a topic form one class document; a term's weight in a class is
/// tf × log(1 + A / f), with tf its count in the class divided by the class's total count (L1), f its total count
/// over all classes and A the average number of words per class.
/// </summary>
public static class ClassTfidf
{
    /// <summary>One weight row (length = vocabulary size) per class id in <paramref name="classes"/>.</summary>
    public static double[][] Compute(CountVectorizer vectorizer, IReadOnlyList<string> documents, IReadOnlyList<int> assignments, IReadOnlyList<int> classes)
        => Weigh(ClassCounts(documents.Select(vectorizer.Transform).ToArray(), assignments, classes));

    /// <summary>Term counts per class (rows in <paramref name="classes"/> order) from per-document counts.</summary>
    public static double[][] ClassCounts(IReadOnlyList<SparseVector> documentCounts, IReadOnlyList<int> assignments, IReadOnlyList<int> classes)
    {
        if (documentCounts.Count != assignments.Count) throw new ArgumentException("one assignment per document is needed");
        int v = documentCounts.Count == 0 ? 0 : documentCounts[0].Dimension;
        var row = classes.Select((c, i) => (c, i)).ToDictionary(e => e.c, e => e.i);
        var counts = classes.Select(_ => new double[v]).ToArray();
        for (int d = 0; d < documentCounts.Count; d++)
        {
            if (!row.TryGetValue(assignments[d], out int r)) continue;
            var x = documentCounts[d];
            for (int j = 0; j < x.Count; j++) counts[r][x.Indices[j]] += x.Values[j];
        }
        return counts;
    }

    /// <summary>c-TF-IDF of a class × term count matrix.</summary>
    public static double[][] Weigh(double[][] counts)
    {
        int v = counts.Length == 0 ? 0 : counts[0].Length;
        var frequency = new double[v];
        foreach (var c in counts) for (int j = 0; j < v; j++) frequency[j] += c[j];
        double average = counts.Length == 0 ? 0 : counts.Average(c => c.Sum());
        var weights = new double[counts.Length][];
        for (int r = 0; r < counts.Length; r++)
        {
            double total = counts[r].Sum();
            weights[r] = new double[v];
            for (int j = 0; j < v; j++)
                if (counts[r][j] > 0) weights[r][j] = counts[r][j] / total * Math.Log(1 + average / frequency[j]);
        }
        return weights;
    }
}
