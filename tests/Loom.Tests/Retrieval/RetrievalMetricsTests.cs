using Loom.Retrieval;

namespace Loom.Tests.Retrieval;

public class RetrievalMetricsTests
{
    private static readonly string[] Ranked = ["a", "b", "c", "d", "e"];

    [Fact]
    public void Metrics_match_hand_computed_values()
    {
        var relevant = new HashSet<string> { "b", "d", "z" };
        Assert.Equal(0.0, RetrievalMetrics.RecallAt(Ranked, relevant, 1));
        Assert.Equal(2 / 3.0, RetrievalMetrics.RecallAt(Ranked, relevant, 5), 12);
        Assert.Equal(0.5, RetrievalMetrics.ReciprocalRankAt(Ranked, relevant, 10));
        Assert.Equal(0.0, RetrievalMetrics.ReciprocalRankAt(Ranked, relevant, 1));
        // DCG = 1/log2(3) + 1/log2(5); IDCG (3 relevant, k = 5) = 1 + 1/log2(3) + 1/2.
        var expected = (1 / Math.Log2(3) + 1 / Math.Log2(5)) / (1 + 1 / Math.Log2(3) + 0.5);
        Assert.Equal(expected, RetrievalMetrics.NdcgAt(Ranked, relevant, 5), 12);
    }

    [Fact]
    public void Perfect_and_empty_rankings_bound_the_metrics()
    {
        var relevant = new HashSet<string> { "a" };
        Assert.Equal(1.0, RetrievalMetrics.NdcgAt(Ranked, relevant, 10));
        Assert.Equal(1.0, RetrievalMetrics.ReciprocalRankAt(Ranked, relevant, 10));
        Assert.Equal(0.0, RetrievalMetrics.NdcgAt(Array.Empty<string>(), relevant, 10));
        Assert.Equal(0.0, RetrievalMetrics.RecallAt(Ranked, new HashSet<string>(), 10));
    }

    [Fact]
    public void Reciprocal_rank_fusion_matches_hand_computed_scores()
    {
        // Weighted RRF with k = 60: x at keyword rank 1 and dense rank 3 → 1/61 + 0.5/63.
        var fused = ReciprocalRankFusion.Fuse([([1L, 2L], 1.0), ([3L, 2L, 1L], 0.5)], 60);
        var scores = fused.ToDictionary(f => f.Id, f => f.Score);
        Assert.Equal(1 / 61.0 + 0.5 / 63.0, scores[1], 12);
        Assert.Equal(1 / 62.0 + 0.5 / 62.0, scores[2], 12);
        Assert.Equal(0.5 / 61.0, scores[3], 12);
        Assert.Equal([1L, 2L, 3L], fused.Select(f => f.Id)); // 0.02433 > 0.02419 > 0.00820
    }
}
