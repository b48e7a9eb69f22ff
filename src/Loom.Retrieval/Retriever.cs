using Microsoft.Extensions.AI;

namespace Loom.Retrieval;

/// <summary>
/// Searches a store by keyword (BM25), dense embeddings or both fused, with metadata filters and optional reranking.
/// Dense search needs the generator that made the store's vectors.
/// </summary>
public sealed class Retriever(IRetrievalStore store, IEmbeddingGenerator<string, Embedding<float>>? generator = null)
{
    private bool _modelChecked;

    public IRetrievalStore Store => store;
    public IEmbeddingGenerator<string, Embedding<float>>? Generator => generator;

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SearchOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.K, 1, nameof(options.K));
        var pool = Math.Max(options.K, options.Reranker is null && options.Mode != SearchMode.Hybrid ? options.K : options.Candidates);
        List<(long Id, double Score)> ranked = options.Mode switch
        {
            SearchMode.Keyword => Keyword(query, pool, options),
            SearchMode.Dense => await DenseAsync(query, pool, options, cancellationToken).ConfigureAwait(false),
            _ => ReciprocalRankFusion.Fuse(
                [
                    (Keyword(query, pool, options).Select(h => h.Id).ToList(), options.KeywordWeight),
                    ((await DenseAsync(query, pool, options, cancellationToken).ConfigureAwait(false)).Select(h => h.Id).ToList(), options.DenseWeight),
                ], options.RrfK),
        };
        if (options.Reranker is null) ranked = ranked.Take(options.K).ToList();
        var chunks = store.GetChunks(ranked.Select(h => h.Id).ToList()).ToDictionary(c => c.Id);
        var hits = ranked.Where(h => chunks.ContainsKey(h.Id)).Select(h => new SearchHit(chunks[h.Id], h.Score)).ToList();
        if (options.Reranker is not null)
            hits = (await options.Reranker.RerankAsync(query, hits, cancellationToken).ConfigureAwait(false)).Take(options.K).ToList();
        return hits;
    }

    private List<(long Id, double Score)> Keyword(string query, int k, SearchOptions options) =>
        store.KeywordSearch(query, k, options.Filter).ToList();

    private async Task<List<(long Id, double Score)>> DenseAsync(string query, int k, SearchOptions options, CancellationToken cancellationToken)
    {
        if (generator is null) throw new InvalidOperationException("dense search needs an embedding generator");
        var model = store.Model ?? throw new InvalidOperationException($"{store.Name} holds no embeddings (it was indexed without an embedding model)");
        if (!_modelChecked)
        {
            var given = await EmbeddingModels.DescribeAsync(generator, cancellationToken).ConfigureAwait(false);
            if (given != model) throw new EmbeddingModelMismatchException(store.Name, model, given);
            _modelChecked = true;
        }
        var vector = (await generator.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false))[0].Vector;
        return store.VectorSearch(vector, k, options.Filter, options).ToList();
    }
}
