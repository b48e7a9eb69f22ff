using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Loom.Embeddings;
using Loom.Retrieval;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary>What the index, search, ask and eval commands share: default locations, the embedding model, the bundled
/// docs corpus, indexing with a progress bar, and JSON output.</summary>
internal static class RetrievalSetup
{
    /// <summary>$XDG_CACHE_HOME/loom, else ~/.cache/loom.</summary>
    public static string CacheDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "loom");

    public static string DefaultDatabase => Path.Combine(CacheDirectory, "index.db");

    /// <summary>The store for a corpus folder when no --db is given: one per folder, under the cache directory.</summary>
    public static string DatabaseFor(string corpus) =>
        Path.Combine(CacheDirectory, "corpora", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(corpus))))[..16] + ".db");

    /// <summary>The embedding model for dense and hybrid search: all-MiniLM-L6-v2 run by Loom's own engine, or null (with a
    /// warning) when it cannot be loaded, leaving keyword search.</summary>
    public static SentenceEncoder? CreateEmbeddingGenerator()
    {
        try
        {
            return SentenceEncoder.Create("minilm");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Loom.Formats.ModelFormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"loom: warning: no embedding model ({e.Message}); keyword search only");
            return null;
        }
    }

    /// <summary>Chunking that counts tokens with the embedding model's own tokenizer, so chunks fit what it reads.</summary>
    public static ChunkingOptions Chunking(SentenceEncoder? encoder, int maxTokens, int overlapTokens) => new()
    {
        MaxTokens = encoder is null ? maxTokens : Math.Min(maxTokens, encoder.MaxLength),
        OverlapTokens = overlapTokens,
        CountTokens = encoder is null ? TokenCounters.EstimateWordPieces : text => encoder.Tokenizer.CountTokens(text),
    };

    /// <summary>Loom's own docs/ pages, bundled in this assembly and unpacked once per build into the cache directory.</summary>
    public static string BundledDocs()
    {
        var assembly = typeof(RetrievalSetup).Assembly;
        var version = assembly.ManifestModule.ModuleVersionId.ToString("N")[..12];
        var folder = Path.Combine(CacheDirectory, "docs-" + version);
        if (Directory.Exists(folder)) return folder;
        var staging = folder + ".tmp-" + Environment.ProcessId;
        Directory.CreateDirectory(staging);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("docs/", StringComparison.Ordinal)))
        {
            var target = Path.Combine(staging, name["docs/".Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var input = assembly.GetManifestResourceStream(name)!;
            using var output = File.Create(target);
            input.CopyTo(output);
        }
        try { Directory.Move(staging, folder); }
        catch (IOException) { Directory.Delete(staging, recursive: true); } // another process unpacked it first
        return folder;
    }

    /// <summary>Indexes a folder, with a progress bar on an interactive terminal unless <paramref name="quiet"/>.</summary>
    public static async Task<IndexSummary> IndexAsync(Indexer indexer, string directory, bool quiet, CancellationToken cancellationToken)
    {
        if (quiet || Console.IsErrorRedirected || Console.IsOutputRedirected)
            return await indexer.IndexDirectoryAsync(directory, null, cancellationToken);
        IndexSummary? summary = null;
        await AnsiConsole.Progress().AutoClear(true).StartAsync(async context =>
        {
            var task = context.AddTask("indexing", maxValue: 1);
            var progress = new SynchronousProgress<IndexProgress>(p =>
            {
                task.MaxValue = Math.Max(1, p.Total);
                task.Value = p.Done;
                task.Description = p.Current is null ? "indexing" : Markup.Escape(Truncate(Path.GetFileName(p.Current), 40));
            });
            summary = await indexer.IndexDirectoryAsync(directory, progress, cancellationToken);
        });
        return summary!;
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    public static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteJson(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Refused input: one line on stderr, exit code 2.</summary>
    public static int Refuse(string reason)
    {
        Console.Error.WriteLine($"loom: {reason}");
        return 2;
    }

    public static object SummaryJson(IndexSummary s) => new
    {
        files_seen = s.FilesSeen, added = s.Added, updated = s.Updated, removed = s.Removed, unchanged = s.Unchanged,
        documents_total = s.DocumentsTotal, chunks_total = s.ChunksTotal, skipped = s.Skipped,
    };
}
