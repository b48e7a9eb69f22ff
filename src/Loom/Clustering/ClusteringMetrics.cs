namespace Loom.Clustering;

/// <summary>
/// Agreement between two labelings of the same points: normalised mutual information (arithmetic-mean normalisation,
/// scikit-learn's default) and the adjusted Rand index (Hubert and Arabie). Labels are any integers; −1 is an
/// ordinary label here (filter outliers first if they should not count).
/// </summary>
public static class ClusteringMetrics
{
    public static double NormalizedMutualInformation(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        var (table, rows, columns, n) = Contingency(a, b);
        double ha = Entropy(rows, n), hb = Entropy(columns, n);
        if (ha == 0 && hb == 0) return 1; // both labelings put everything in one cluster: identical
        double mi = 0;
        foreach (var ((i, j), count) in table)
            mi += count / n * Math.Log(count * n / ((double)rows[i] * columns[j]));
        double denominator = (ha + hb) / 2;
        return denominator == 0 ? 0 : Math.Clamp(mi / denominator, 0, 1);
    }

    public static double AdjustedRandIndex(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        var (table, rows, columns, n) = Contingency(a, b);
        static double Pairs(double x) => x * (x - 1) / 2;
        double index = table.Values.Sum(c => Pairs(c));
        double sumRows = rows.Values.Sum(c => Pairs(c)), sumColumns = columns.Values.Sum(c => Pairs(c));
        double expected = sumRows * sumColumns / Pairs(n);
        double maximum = (sumRows + sumColumns) / 2;
        if (maximum == expected) return 1; // both labelings trivial in the same way
        return (index - expected) / (maximum - expected);
    }

    private static double Entropy(Dictionary<int, int> counts, double n)
        => -counts.Values.Sum(c => c / n * Math.Log(c / n));

    private static (Dictionary<(int, int), int> Table, Dictionary<int, int> Rows, Dictionary<int, int> Columns, double N) Contingency(
        IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"labelings differ in length ({a.Count} vs {b.Count})");
        if (a.Count == 0) throw new ArgumentException("no points");
        var table = new Dictionary<(int, int), int>();
        var rows = new Dictionary<int, int>();
        var columns = new Dictionary<int, int>();
        for (int i = 0; i < a.Count; i++)
        {
            table[(a[i], b[i])] = table.GetValueOrDefault((a[i], b[i])) + 1;
            rows[a[i]] = rows.GetValueOrDefault(a[i]) + 1;
            columns[b[i]] = columns.GetValueOrDefault(b[i]) + 1;
        }
        return (table, rows, columns, a.Count);
    }

    /// <summary>
    /// Trustworthiness of an embedding (Venna and Kaski; scikit-learn's formula): 1 − 2/(n k (2n − 3k − 1)) ·
    /// Σ_i Σ_{j ∈ new k-NN of i, not an original k-NN} (rank of j among i's original neighbours − k). 1 means every
    /// neighbour in the embedding was a neighbour in the original space. Exact; O(n² d).
    /// </summary>
    public static double Trustworthiness(IReadOnlyList<float[]> original, IReadOnlyList<float[]> embedded, int k = 5)
    {
        int n = original.Count;
        if (embedded.Count != n) throw new ArgumentException("one embedded point per original point is needed");
        if (k < 1 || k >= n / 2.0) throw new ArgumentOutOfRangeException(nameof(k), "k must be in [1, n/2)");
        double penalty = 0;
        for (int i = 0; i < n; i++)
        {
            int[] originalOrder = Enumerable.Range(0, n).Where(j => j != i).OrderBy(j => Points.SquaredDistance(original[i], original[j])).ThenBy(j => j).ToArray();
            var rank = new int[n];
            for (int r = 0; r < originalOrder.Length; r++) rank[originalOrder[r]] = r + 1;
            foreach (int j in Enumerable.Range(0, n).Where(j => j != i).OrderBy(j => Points.SquaredDistance(embedded[i], embedded[j])).ThenBy(j => j).Take(k))
                penalty += Math.Max(0, rank[j] - k);
        }
        return 1 - 2.0 / (n * k * (2.0 * n - 3 * k - 1)) * penalty;
    }
}
