namespace Loom.Retrieval;

/// <summary>Weighted reciprocal rank fusion: an item's score is Σ over rankings of weight / (k + rank), ranks from 1.
/// It needs no score calibration between BM25 and cosine, which is why hybrid search uses it.</summary>
public static class ReciprocalRankFusion
{
    public static List<(long Id, double Score)> Fuse(IReadOnlyList<(IReadOnlyList<long> Ranking, double Weight)> rankings, int k = 60)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var scores = new Dictionary<long, double>();
        var firstSeen = new Dictionary<long, int>();
        foreach (var (ranking, weight) in rankings)
            for (var rank = 0; rank < ranking.Count; rank++)
            {
                var id = ranking[rank];
                scores[id] = scores.GetValueOrDefault(id) + weight / (k + rank + 1);
                firstSeen.TryAdd(id, firstSeen.Count);
            }
        return scores.OrderByDescending(p => p.Value).ThenBy(p => firstSeen[p.Key]).Select(p => (p.Key, p.Value)).ToList();
    }
}
