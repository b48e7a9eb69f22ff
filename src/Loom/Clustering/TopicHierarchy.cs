namespace Loom.Clustering;

/// <summary>One merge of the topic hierarchy: nodes <see cref="Left"/> and <see cref="Right"/> join as node <see cref="Node"/>.</summary>
/// <remarks>Leaves are 0..n−1 (rows of the input); merge i creates node n + i.</remarks>
public readonly record struct TopicMerge(int Node, int Left, int Right, double Distance, int Size);

/// <summary>
/// Hierarchy of topics by average-linkage agglomerative clustering on cosine distance of their c-TF-IDF rows
/// (as BERTopic's hierarchical_topics): the two closest groups merge first; ties go to the lower ids.
/// </summary>
public static class TopicHierarchy
{
    public static IReadOnlyList<TopicMerge> Build(IReadOnlyList<double[]> rows)
    {
        int n = rows.Count;
        if (n < 2) return [];
        var distance = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) distance[i, j] = distance[j, i] = 1 - Cosine(rows[i], rows[j]);
        // Active groups: node id and its member leaves.
        var groups = Enumerable.Range(0, n).Select(i => (Node: i, Members: new List<int> { i })).ToList();
        var merges = new List<TopicMerge>();
        while (groups.Count > 1)
        {
            int bestA = 0, bestB = 1;
            double best = double.PositiveInfinity;
            for (int a = 0; a < groups.Count; a++)
                for (int b = a + 1; b < groups.Count; b++)
                {
                    double average = groups[a].Members.Sum(x => groups[b].Members.Sum(y => distance[x, y])) / (groups[a].Members.Count * groups[b].Members.Count);
                    if (average < best - 1e-15) (best, bestA, bestB) = (average, a, b);
                }
            var merged = (Node: n + merges.Count, Members: groups[bestA].Members.Concat(groups[bestB].Members).ToList());
            merges.Add(new TopicMerge(merged.Node, groups[bestA].Node, groups[bestB].Node, best, merged.Members.Count));
            groups.RemoveAt(bestB);
            groups[bestA] = merged;
        }
        return merges;
    }

    private static double Cosine(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
