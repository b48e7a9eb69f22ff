using System.CommandLine;
using Loom.Retrieval;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary><c>loom eval retrieval</c>: recall@1/5/10, MRR@10 and nDCG@10 of keyword, dense and hybrid search on WordNet
/// (reverse dictionary) and the man pages (known item).</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var command = new Command("eval", "Measure Loom's quality on real data");
        command.Subcommands.Add(Retrieval());
        return command;
    }

    private static Command Retrieval()
    {
        var set = new Option<string>("--set") { Description = "wordnet | manpages | all", DefaultValueFactory = _ => "all" };
        var size = new Option<int>("--size") { Description = "Documents (= queries) sampled per set", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 1 };
        var modes = new Option<string>("--modes") { Description = "Comma-separated: keyword,dense,hybrid", DefaultValueFactory = _ => "keyword,dense,hybrid" };
        var pageWords = new Option<int>("--page-words") { Description = "Words kept per man page (0: whole pages; embedding is the cost)", DefaultValueFactory = _ => 400 };
        var db = new Option<string?>("--db-folder") { Description = "Keep the evaluation stores in this folder (default: a temporary folder, deleted)" };
        var json = new Option<bool>("--json") { Description = "One JSON line per set and mode" };
        var command = new Command("retrieval", "Recall@1/5/10, MRR@10, nDCG@10 for keyword, dense and hybrid search on WordNet and man pages");
        foreach (var option in new Option[] { set, size, seed, modes, pageWords, db, json }) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var sets = parse.GetValue(set) switch { "all" => new[] { "wordnet", "manpages" }, "wordnet" => ["wordnet"], "manpages" => ["manpages"], _ => [] };
            if (sets.Length == 0) return RetrievalSetup.Refuse($"unknown --set '{parse.GetValue(set)}' (wordnet, manpages or all)");
            if (parse.GetValue(size) < 1) return RetrievalSetup.Refuse("--size must be at least 1");
            var searchModes = new List<SearchMode>();
            foreach (var m in parse.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<SearchMode>(m, ignoreCase: true, out var mode)) return RetrievalSetup.Refuse($"unknown mode '{m}' (keyword, dense, hybrid)");
                searchModes.Add(mode);
            }
            var generator = searchModes.Any(m => m != SearchMode.Keyword) ? RetrievalSetup.CreateEmbeddingGenerator() : null;
            if (generator is null && searchModes.Any(m => m != SearchMode.Keyword)) return RetrievalSetup.Refuse("dense and hybrid modes need the embedding model; use --modes keyword");
            var keep = parse.GetValue(db);
            var folder = keep ?? Directory.CreateTempSubdirectory("loom-eval-").FullName;
            var quiet = parse.GetValue(json) || Console.IsOutputRedirected;
            var results = new List<EvaluationScores>();
            try
            {
                foreach (var name in sets)
                {
                    EvaluationSet collection;
                    try
                    {
                        collection = name == "wordnet"
                            ? EvaluationSets.WordNetReverseDictionary(size: parse.GetValue(size), seed: parse.GetValue(seed))
                            : EvaluationSets.ManPagesKnownItem(size: parse.GetValue(size), seed: parse.GetValue(seed), maxWordsPerPage: parse.GetValue(pageWords));
                    }
                    catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                    {
                        return RetrievalSetup.Refuse(e.Message);
                    }
                    Status(quiet, $"{name}: indexing {collection.Documents.Count} documents ({(generator is null ? "keyword only" : "embedding with " + generator.Metadata.DefaultModelId)})");
                    var path = Path.Combine(folder, $"{name}-{parse.GetValue(size)}-{parse.GetValue(seed)}.db");
                    using var store = DocumentStore.Open(path);
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var indexing = new IndexingOptions { Chunking = RetrievalSetup.Chunking(generator, new ChunkingOptions().MaxTokens, new ChunkingOptions().OverlapTokens) };
                    await new Indexer(store, generator, indexing).IndexDocumentsAsync(collection.Documents, cancellationToken: cancellationToken);
                    Status(quiet, $"{name}: {store.DocumentCount} documents, {store.ChunkCount} chunks in {clock.Elapsed.TotalSeconds:0.0} s; {collection.Queries.Count} queries");
                    var retriever = new Retriever(store, generator);
                    foreach (var mode in searchModes)
                    {
                        var scores = await RetrievalEvaluator.EvaluateAsync(collection, retriever, mode, cancellationToken: cancellationToken);
                        results.Add(scores);
                        if (parse.GetValue(json))
                            RetrievalSetup.WriteJson(new
                            {
                                set = scores.Set, mode = scores.Mode.ToString().ToLowerInvariant(), documents = collection.Documents.Count, chunks = store.ChunkCount, queries = scores.Queries,
                                recall_at_1 = scores.RecallAt1, recall_at_5 = scores.RecallAt5, recall_at_10 = scores.RecallAt10, mrr_at_10 = scores.MrrAt10, ndcg_at_10 = scores.NdcgAt10,
                                queries_per_second = scores.QueriesPerSecond, seed = parse.GetValue(seed), model = generator?.Metadata.DefaultModelId,
                            });
                    }
                    if (generator is not null && VectorIndexes.LoadHnsw(store) is { } hnsw)
                    {
                        var queries = await generator.GenerateAsync(collection.Queries.Select(q => q.Text).ToList(), cancellationToken: cancellationToken);
                        var (recall, exactQps, hnswQps) = VectorIndexes.MeasureRecall(VectorIndexes.LoadExact(store), hnsw, queries.Select(e => e.Vector).ToList());
                        if (parse.GetValue(json)) RetrievalSetup.WriteJson(new { set = name, hnsw_recall_at_10 = recall, exact_qps = exactQps, hnsw_qps = hnswQps, chunks = store.ChunkCount });
                        else Status(false, $"{name}: HNSW recall@10 vs exact {recall:0.0000} over {store.ChunkCount} chunks ({hnswQps:0} vs {exactQps:0} queries/s)");
                    }
                }
            }
            finally
            {
                if (keep is null)
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
                }
            }
            if (!parse.GetValue(json))
            {
                var table = new Table().AddColumns("set", "mode", "queries", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "queries/s");
                foreach (var s in results)
                    table.AddRow(s.Set, s.Mode.ToString().ToLowerInvariant(), s.Queries.ToString(), F(s.RecallAt1), F(s.RecallAt5), F(s.RecallAt10), F(s.MrrAt10), F(s.NdcgAt10), s.QueriesPerSecond.ToString("0"));
                AnsiConsole.Write(table);
            }
            return 0;
        });
        return command;
    }

    private static string F(double x) => x.ToString("0.000");

    private static void Status(bool quiet, string message)
    {
        if (!quiet) Console.Error.WriteLine(message);
    }
}
