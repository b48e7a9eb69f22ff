using System.CommandLine;
using Loom.Retrieval;

namespace Loom.Cli.Commands;

/// <summary><c>loom index DIR</c>: read, chunk, embed and store every readable file of a folder, incrementally.</summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("dir") { Description = "Folder to index (text, Markdown, HTML, man pages)" };
        var db = new Option<string?>("--db") { Description = $"Store file (default: {RetrievalSetup.DefaultDatabase})" };
        var json = new Option<bool>("--json") { Description = "Print one JSON line instead of a summary" };
        var keywordOnly = new Option<bool>("--keyword-only") { Description = "Do not embed: keyword search only (fast, no model)" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Token budget per chunk", DefaultValueFactory = _ => new ChunkingOptions().MaxTokens };
        var overlap = new Option<int>("--overlap") { Description = "Tokens repeated between consecutive chunks", DefaultValueFactory = _ => new ChunkingOptions().OverlapTokens };
        var batch = new Option<int>("--batch") { Description = "Documents per transaction", DefaultValueFactory = _ => new IndexingOptions().BatchDocuments };
        var command = new Command("index", "Index a folder into a document store (incremental: only changed files are re-read)");
        command.Arguments.Add(directory);
        foreach (var option in new Option[] { db, json, keywordOnly, maxTokens, overlap, batch }) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = parse.GetValue(directory)!;
            if (!Directory.Exists(dir)) return RetrievalSetup.Refuse($"no folder '{dir}'");
            if (parse.GetValue(maxTokens) < 8 || parse.GetValue(overlap) < 0 || parse.GetValue(overlap) >= parse.GetValue(maxTokens))
                return RetrievalSetup.Refuse("--max-tokens must be at least 8 and --overlap between 0 and --max-tokens");
            if (parse.GetValue(batch) < 1) return RetrievalSetup.Refuse("--batch must be at least 1");
            var generator = parse.GetValue(keywordOnly) ? null : RetrievalSetup.CreateEmbeddingGenerator();
            try
            {
                using var store = DocumentStore.Open(parse.GetValue(db) ?? RetrievalSetup.DefaultDatabase);
                var options = new IndexingOptions
                {
                    Chunking = RetrievalSetup.Chunking(generator, parse.GetValue(maxTokens), parse.GetValue(overlap)),
                    BatchDocuments = parse.GetValue(batch),
                };
                var summary = await RetrievalSetup.IndexAsync(new Indexer(store, generator, options), dir, parse.GetValue(json), cancellationToken);
                if (parse.GetValue(json)) RetrievalSetup.WriteJson(RetrievalSetup.SummaryJson(summary));
                else
                {
                    foreach (var skipped in summary.Skipped) Console.Error.WriteLine($"skipped {skipped}");
                    Console.WriteLine($"{summary.FilesSeen} files: {summary.Added} added, {summary.Updated} updated, {summary.Removed} removed, {summary.Unchanged} unchanged, {summary.Skipped.Count} skipped");
                    Console.WriteLine($"{store.FilePath}: {summary.DocumentsTotal} documents, {summary.ChunksTotal} chunks, embeddings: {store.Model?.Name ?? "none (keyword search only)"}");
                }
                return 0;
            }
            catch (Exception e) when (e is StoreFormatException or EmbeddingModelMismatchException)
            {
                return RetrievalSetup.Refuse(e.Message);
            }
        });
        return command;
    }
}
