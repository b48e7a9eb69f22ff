namespace Loom.Retrieval;

/// <summary>The file is not a readable Loom store: not SQLite, corrupt, another application's database, or a newer schema.</summary>
public sealed class StoreFormatException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}

/// <summary>The store's embeddings come from another model (or dimension) than the one given: mixing them would make
/// similarities meaningless. Re-index into a new store, or use the store's model.</summary>
public sealed class EmbeddingModelMismatchException(string storePath, EmbeddingModelInfo stored, EmbeddingModelInfo given)
    : Exception($"{storePath} holds embeddings of '{stored.Name}' ({stored.Dimensions} dimensions); refusing to mix them with '{given.Name}' ({given.Dimensions} dimensions). Use a new --db or the same model.")
{
    public EmbeddingModelInfo Stored { get; } = stored;
    public EmbeddingModelInfo Given { get; } = given;
}
