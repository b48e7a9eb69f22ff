namespace Loom.Retrieval;

/// <summary>One document to write: its chunks and, when the store has a model, one embedding per chunk.</summary>
public sealed record DocumentWrite(string Path, string Title, string ContentHash, IReadOnlyList<TextChunk> Chunks, IReadOnlyList<ReadOnlyMemory<float>>? Embeddings);
