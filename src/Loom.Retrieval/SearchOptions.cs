namespace Loom.Retrieval;

/// <summary>Which ranking a search uses.</summary>
public enum SearchMode
{
    /// <summary>BM25 over the full-text index.</summary>
    Keyword,
    /// <summary>Cosine similarity of embeddings.</summary>
    Dense,
    /// <summary>Keyword and dense rankings fused by weighted reciprocal rank fusion.</summary>
    Hybrid,
}

/// <summary>How dense search finds neighbours.</summary>
public enum DenseIndexKind
{
    /// <summary>Exact below <see cref="SearchOptions.HnswThreshold"/> chunks, HNSW above.</summary>
    Auto,
    Exact,
    Hnsw,
}

/// <summary>Search settings; the defaults suit most corpora.</summary>
public sealed record SearchOptions
{
    public SearchMode Mode { get; init; } = SearchMode.Hybrid;
    /// <summary>Results to return.</summary>
    public int K { get; init; } = 5;
    public SearchFilter? Filter { get; init; }
    /// <summary>Weight of the keyword ranking in hybrid fusion.</summary>
    public double KeywordWeight { get; init; } = 1.0;
    /// <summary>Weight of the dense ranking in hybrid fusion.</summary>
    public double DenseWeight { get; init; } = 1.0;
    /// <summary>The constant k of reciprocal rank fusion, score = Σ weight / (k + rank); 60 as in Cormack et al. 2009.</summary>
    public int RrfK { get; init; } = 60;
    /// <summary>Candidates each ranking contributes to fusion and reranking (at least K).</summary>
    public int Candidates { get; init; } = 50;
    public DenseIndexKind DenseIndex { get; init; } = DenseIndexKind.Auto;
    public int HnswThreshold { get; init; } = 20_000;
    /// <summary>HNSW beam width (default: the index's own).</summary>
    public int? EfSearch { get; init; }
    /// <summary>Reorders the candidates before the top K are taken (null: no reranking).</summary>
    public IReranker? Reranker { get; init; }
}

/// <summary>One search result: a chunk and its score under the mode used (BM25, cosine, fused, or reranker score).</summary>
public sealed record SearchHit(StoredChunk Chunk, double Score);
