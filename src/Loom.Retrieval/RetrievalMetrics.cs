namespace Loom.Retrieval;

/// <summary>Ranking metrics with binary relevance, as in TREC/BEIR: recall@k, reciprocal rank@k and nDCG@k (gain 1/log2(rank+1)).</summary>
public static class RetrievalMetrics
{
    /// <summary>Fraction of the relevant items found in the top <paramref name="k"/>.</summary>
    public static double RecallAt<T>(IReadOnlyList<T> ranked, IReadOnlySet<T> relevant, int k)
    {
        if (relevant.Count == 0) return 0;
        return ranked.Take(k).Distinct().Count(relevant.Contains) / (double)relevant.Count;
    }

    /// <summary>1 / rank of the first relevant item within the top <paramref name="k"/>, else 0.</summary>
    public static double ReciprocalRankAt<T>(IReadOnlyList<T> ranked, IReadOnlySet<T> relevant, int k)
    {
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
            if (relevant.Contains(ranked[i])) return 1.0 / (i + 1);
        return 0;
    }

    /// <summary>Discounted cumulative gain of the top <paramref name="k"/> over that of an ideal ranking.</summary>
    public static double NdcgAt<T>(IReadOnlyList<T> ranked, IReadOnlySet<T> relevant, int k)
    {
        if (relevant.Count == 0) return 0;
        double dcg = 0, ideal = 0;
        var counted = new HashSet<T>();
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
            if (relevant.Contains(ranked[i]) && counted.Add(ranked[i])) dcg += 1 / Math.Log2(i + 2);
        for (var i = 0; i < Math.Min(k, relevant.Count); i++) ideal += 1 / Math.Log2(i + 2);
        return dcg / ideal;
    }
}
