namespace Loom.Retrieval;

/// <summary>
/// What <see cref="Retriever"/>, <see cref="Rag"/> and the evaluation need from a store: a keyword ranking, a vector ranking
/// and chunk lookup. <see cref="DocumentStore"/> (one SQLite file) implements it; an adapter over
/// Microsoft.Extensions.VectorData (Qdrant, PostgreSQL/pgvector, Azure AI Search…) can implement it for larger corpora
/// without changing the code above it.
/// </summary>
public interface IRetrievalStore
{
    /// <summary>A name for messages (the file path for a SQLite store).</summary>
    string Name { get; }

    /// <summary>The model whose vectors the store holds (null: no vectors).</summary>
    EmbeddingModelInfo? Model { get; }

    /// <summary>BM25 (or the engine's full-text ranking) for free user text, best first; scores higher-is-better.</summary>
    IReadOnlyList<(long ChunkId, double Score)> KeywordSearch(string query, int k, SearchFilter? filter = null);

    /// <summary>The chunks whose vectors are most similar (cosine) to <paramref name="vector"/>, best first.</summary>
    IReadOnlyList<(long ChunkId, double Score)> VectorSearch(ReadOnlyMemory<float> vector, int k, SearchFilter? filter, SearchOptions options);

    /// <summary>Chunks with their document metadata, in the order of <paramref name="ids"/>; unknown ids are skipped.</summary>
    IReadOnlyList<StoredChunk> GetChunks(IReadOnlyList<long> ids);
}
