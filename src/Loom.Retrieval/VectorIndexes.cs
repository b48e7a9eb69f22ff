namespace Loom.Retrieval;

/// <summary>Loads the store's vectors into an exact index, and keeps the persisted HNSW graph in step with the store.</summary>
public static class VectorIndexes
{
    /// <summary>Name of the HNSW blob in the store's vector_indexes table.</summary>
    public const string HnswName = "hnsw";

    public static ExactVectorIndex LoadExact(DocumentStore store)
    {
        var (ids, vectors, dimensions) = store.ReadVectors();
        return new ExactVectorIndex(ids, vectors, Math.Max(dimensions, 1));
    }

    /// <summary>Brings the persisted HNSW graph up to date: chunks deleted from the store become tombstones, chunks added
    /// since (ids above the graph's largest) are inserted. Rebuilds from scratch when the graph is absent, unreadable, of
    /// another dimension, or more than a fifth tombstones. A read-only store's graph is updated in memory only. Returns the up-to-date index (null when the store has no vectors).</summary>
    public static HnswIndex? UpdateHnsw(DocumentStore store, HnswOptions? options = null)
    {
        var model = store.Model;
        if (model is null) return null;
        HnswIndex? index = null;
        if (store.ReadIndex(HnswName) is { } blob)
        {
            try { index = HnswIndex.Deserialize(blob, store.FilePath); }
            catch (StoreFormatException) { index = null; } // derived data: rebuild it
        }
        if (index is not null && index.Dimensions != model.Dimensions) index = null;

        var changed = false;
        if (index is not null)
        {
            var live = store.ChunkIds();
            foreach (var id in IdsNotIn(index, live)) { index.Remove(id); changed = true; }
            if (index.DeletedCount > index.Count / 5) index = null;
        }
        var fresh = index is null;
        index ??= new HnswIndex(model.Dimensions, options);
        var (ids, vectors, dimensions) = store.ReadVectors(fresh ? 0 : index.MaxId);
        for (var i = 0; i < ids.Length; i++) index.Add(ids[i], vectors.AsSpan(i * dimensions, dimensions));
        if ((fresh || changed || ids.Length > 0) && !store.IsReadOnly) store.WriteIndex(HnswName, index.Serialize());
        return index;
    }

    /// <summary>The persisted HNSW index as stored (null when absent or unreadable; call <see cref="UpdateHnsw"/> to repair).</summary>
    public static HnswIndex? LoadHnsw(DocumentStore store)
    {
        if (store.ReadIndex(HnswName) is not { } blob) return null;
        try { return HnswIndex.Deserialize(blob, store.FilePath); }
        catch (StoreFormatException) { return null; }
    }

    /// <summary>Recall@k of <paramref name="hnsw"/> against <paramref name="exact"/> over <paramref name="queries"/>, with each side's
    /// queries per second (single thread). As in ann-benchmarks, a returned neighbour counts when it is at least as similar as the
    /// exact k-th (within 1e-5): chunks with identical text have identical vectors, and which of the tied ids is returned is arbitrary.</summary>
    public static (double Recall, double ExactQps, double HnswQps) MeasureRecall(ExactVectorIndex exact, HnswIndex hnsw, IReadOnlyList<ReadOnlyMemory<float>> queries, int k = 10, int? ef = null)
    {
        var threshold = new float[queries.Count];
        var expected = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < queries.Count; i++)
        {
            var truth = exact.Search(queries[i].Span, k);
            threshold[i] = truth.Count == 0 ? float.MaxValue : truth[^1].Score - 1e-5f;
            expected += truth.Count;
        }
        var exactSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var found = 0;
        for (var i = 0; i < queries.Count; i++) found += hnsw.Search(queries[i].Span, k, ef).Count(h => h.Score >= threshold[i]);
        var hnswSeconds = clock.Elapsed.TotalSeconds;
        return (expected == 0 ? 1 : found / (double)expected, queries.Count / Math.Max(exactSeconds, 1e-9), queries.Count / Math.Max(hnswSeconds, 1e-9));
    }

    private static List<long> IdsNotIn(HnswIndex index, HashSet<long> live) => index.LiveIds().Where(id => !live.Contains(id)).ToList();
}
