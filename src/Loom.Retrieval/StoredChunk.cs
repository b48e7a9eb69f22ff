namespace Loom.Retrieval;

/// <summary>A chunk as the store returns it, with its document's metadata.</summary>
public sealed record StoredChunk(long Id, string Path, string Title, string Section, string Text, string Context);
