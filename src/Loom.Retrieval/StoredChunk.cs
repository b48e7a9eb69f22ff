namespace Loom.Retrieval;

/// <summary>A chunk as the store returns it, with its document's metadata.</summary>
public sealed record StoredChunk(long Id, string Path, string Title, string Section, string Text, string Context);

/// <summary>Metadata filters applied before ranking. Null members do not filter.</summary>
public sealed record SearchFilter
{
    /// <summary>Only documents whose path starts with this (e.g. a folder).</summary>
    public string? PathPrefix { get; init; }
    /// <summary>Only chunks under this section heading (case-insensitive), e.g. "DESCRIPTION".</summary>
    public string? Section { get; init; }
    /// <summary>Only documents whose title contains this (case-insensitive).</summary>
    public string? TitleContains { get; init; }

    internal bool IsEmpty => PathPrefix is null && Section is null && TitleContains is null;
}

/// <summary>One document to write: its chunks and, when the store has a model, one embedding per chunk.</summary>
public sealed record DocumentWrite(string Path, string Title, string ContentHash, IReadOnlyList<TextChunk> Chunks, IReadOnlyList<ReadOnlyMemory<float>>? Embeddings);
