namespace Loom.Retrieval;

/// <summary>Which model made a store's vectors.</summary>
public sealed record EmbeddingModelInfo(string Name, int Dimensions);
