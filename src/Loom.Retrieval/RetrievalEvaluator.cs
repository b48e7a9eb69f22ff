using System.Diagnostics;

namespace Loom.Retrieval;

/// <summary>Scores of one search mode on one collection (document level: a document ranks at its best chunk).</summary>
public sealed record EvaluationScores(string Set, SearchMode Mode, int Queries, double RecallAt1, double RecallAt5, double RecallAt10, double MrrAt10, double NdcgAt10, double QueriesPerSecond);

/// <summary>Runs an <see cref="EvaluationSet"/>'s queries through a <see cref="Retriever"/> and averages the metrics.</summary>
public static class RetrievalEvaluator
{
    /// <summary>Chunks retrieved per query before they are folded into a document ranking.</summary>
    public const int ChunkDepth = 50;

    public static async Task<EvaluationScores> EvaluateAsync(EvaluationSet set, Retriever retriever, SearchMode mode, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        double r1 = 0, r5 = 0, r10 = 0, mrr = 0, ndcg = 0;
        var options = new SearchOptions { Mode = mode, K = ChunkDepth, Candidates = ChunkDepth };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < set.Queries.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var query = set.Queries[i];
            var hits = await retriever.SearchAsync(query.Text, options, cancellationToken).ConfigureAwait(false);
            var ranked = hits.Select(h => h.Chunk.Path).Distinct().ToList();
            r1 += RetrievalMetrics.RecallAt(ranked, query.Relevant, 1);
            r5 += RetrievalMetrics.RecallAt(ranked, query.Relevant, 5);
            r10 += RetrievalMetrics.RecallAt(ranked, query.Relevant, 10);
            mrr += RetrievalMetrics.ReciprocalRankAt(ranked, query.Relevant, 10);
            ndcg += RetrievalMetrics.NdcgAt(ranked, query.Relevant, 10);
            progress?.Report(i + 1);
        }
        var n = Math.Max(1, set.Queries.Count);
        return new EvaluationScores(set.Name, mode, set.Queries.Count, r1 / n, r5 / n, r10 / n, mrr / n, ndcg / n, set.Queries.Count / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
    }
}
