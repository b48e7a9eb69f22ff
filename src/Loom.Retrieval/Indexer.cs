using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;

namespace Loom.Retrieval;

/// <summary>Ingestion settings.</summary>
public sealed record IndexingOptions
{
    public ChunkingOptions Chunking { get; init; } = new();
    /// <summary>Documents per transaction: a kill loses at most this many documents' work.</summary>
    public int BatchDocuments { get; init; } = 16;
    /// <summary>Texts per call to the embedding generator.</summary>
    public int EmbeddingBatch { get; init; } = 32;
    /// <summary>Update the persisted HNSW index after ingesting (needs an embedding generator).</summary>
    public bool UpdateHnsw { get; init; } = true;
    public HnswOptions Hnsw { get; init; } = new();
    /// <summary>Which files of a folder to read (default: all but hidden files and folders).</summary>
    public Func<string, bool>? Include { get; init; }
}

/// <summary>Where ingestion is: files handled so far, of how many, and the current one.</summary>
public sealed record IndexProgress(int Done, int Total, string? Current);

/// <summary>What an ingestion did. <see cref="Skipped"/> holds one "path: problem" line per file that could not be read.</summary>
public sealed record IndexSummary(int FilesSeen, int Added, int Updated, int Removed, int Unchanged, int DocumentsTotal, int ChunksTotal, IReadOnlyList<string> Skipped);

/// <summary>
/// Reads, chunks, embeds and stores documents, incrementally: a file whose content hash is unchanged is skipped, a changed
/// one is replaced, one that disappeared from the folder is removed. Unreadable files are reported and skipped.
/// Works with no embedding generator too (keyword search only).
/// </summary>
public sealed class Indexer(DocumentStore store, IEmbeddingGenerator<string, Embedding<float>>? generator = null, IndexingOptions? options = null)
{
    private readonly IndexingOptions _options = options ?? new IndexingOptions();
    private readonly Chunker _chunker = new((options ?? new IndexingOptions()).Chunking);

    /// <summary>Indexes every readable file under <paramref name="directory"/>.</summary>
    public async Task<IndexSummary> IndexDirectoryAsync(string directory, IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        directory = Path.GetFullPath(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"no folder {directory}");
        var include = _options.Include ?? (p => !Path.GetRelativePath(directory, p).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')));
        var files = Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(include).Order(StringComparer.Ordinal).ToList();
        var prefix = directory.EndsWith(Path.DirectorySeparatorChar) ? directory : directory + Path.DirectorySeparatorChar;
        // Lazy: each file is hashed when ingestion reaches it.
        var sources = files.Select(path =>
        {
            try { return new Source(path, HashFile(path), null, null); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new Source(path, "", null, $"cannot read: {e.Message}"); }
        });
        return await RunAsync(files.Count, sources, DocumentReader.Read, prefix, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Indexes in-memory documents (keyed by their path; hashed by their text). With <paramref name="removeOthersUnder"/>,
    /// stored documents under that path prefix that are not in <paramref name="documents"/> are removed.</summary>
    public async Task<IndexSummary> IndexDocumentsAsync(IReadOnlyList<SourceDocument> documents, string? removeOthersUnder = null, IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var byPath = new Dictionary<string, SourceDocument>(StringComparer.Ordinal);
        foreach (var d in documents) byPath[d.Path] = d;
        var sources = byPath.Values.Select(d =>
            new Source(d.Path, HashText(d.Title + "\0" + string.Join("\0", d.Sections.Select(s => s.Heading + "\0" + s.Text))), d, null));
        return await RunAsync(byPath.Count, sources, p => byPath[p], removeOthersUnder, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A document to ingest: its key, content hash, the document when already in memory, or why it cannot be read.</summary>
    private sealed record Source(string Path, string Hash, SourceDocument? Document, string? Error);

    private async Task<IndexSummary> RunAsync(int total, IEnumerable<Source> sources,
        Func<string, SourceDocument> read, string? scope, IProgress<IndexProgress>? progress, CancellationToken cancellationToken)
    {
        var model = generator is null ? null : await EmbeddingModels.DescribeAsync(generator, cancellationToken).ConfigureAwait(false);
        if (model is not null) store.EnsureModel(model);
        var stored = store.DocumentHashes(scope);
        // A store indexed without embeddings gets them now: every stored document counts as changed.
        if (model is not null && store.Model is null) stored = stored.ToDictionary(p => p.Key, _ => "");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var skipped = new List<string>();
        int added = 0, updated = 0, unchanged = 0, done = 0;
        var batch = new List<DocumentWrite>();

        foreach (var source in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (path, hash, document, error) = source;
            seen.Add(path);
            progress?.Report(new IndexProgress(done, total, path));
            if (error is null && stored.TryGetValue(path, out var old) && old == hash) unchanged++;
            else
            {
                try
                {
                    if (error is not null) throw new UnsupportedDocumentException(path, error);
                    document ??= read(path);
                    var chunks = _chunker.Chunk(document);
                    if (chunks.Count == 0) throw new UnsupportedDocumentException(path, "no text");
                    batch.Add(new DocumentWrite(path, document.Title, hash, chunks, null));
                    if (stored.ContainsKey(path)) updated++; else added++;
                }
                catch (UnsupportedDocumentException e)
                {
                    skipped.Add(e.Message);
                    seen.Remove(path); // a file that became unreadable leaves the index
                }
            }
            done++;
            if (batch.Count >= _options.BatchDocuments) await FlushAsync().ConfigureAwait(false);
        }
        await FlushAsync().ConfigureAwait(false);

        var removals = scope is null ? [] : stored.Keys.Where(p => !seen.Contains(p)).ToList();
        if (removals.Count > 0) store.Commit([], removals);
        progress?.Report(new IndexProgress(done, total, null));

        if (model is not null && _options.UpdateHnsw) VectorIndexes.UpdateHnsw(store, _options.Hnsw);
        return new IndexSummary(total, added, updated, removals.Count, unchanged, store.DocumentCount, store.ChunkCount, skipped);

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            if (generator is not null)
            {
                var texts = batch.SelectMany(d => d.Chunks.Select(c => c.Text)).ToList();
                var vectors = await EmbeddingModels.EmbedAsync(generator, texts, _options.EmbeddingBatch, cancellationToken).ConfigureAwait(false);
                var offset = 0;
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i] = batch[i] with { Embeddings = vectors.GetRange(offset, batch[i].Chunks.Count) };
                    offset += batch[i].Chunks.Count;
                }
            }
            store.Commit(batch, model: model);
            batch.Clear();
        }
    }

    private static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string HashText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
