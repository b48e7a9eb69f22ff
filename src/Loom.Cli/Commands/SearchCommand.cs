using System.CommandLine;
using Loom.Retrieval;

namespace Loom.Cli.Commands;

/// <summary><c>loom search "query"</c> or <c>--file queries.txt</c>: ranked chunks from a store.</summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string?>("query") { Description = "What to search for", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Run one query per line of this file" };
        var db = new Option<string?>("--db") { Description = $"Store file (default: {RetrievalSetup.DefaultDatabase})" };
        var mode = new Option<string?>("--mode") { Description = "keyword | dense | hybrid (default: hybrid when the store has embeddings, else keyword)" };
        var k = new Option<int>("-k") { Description = "Results per query", DefaultValueFactory = _ => 5 };
        var pathPrefix = new Option<string?>("--path-prefix") { Description = "Only documents under this path" };
        var section = new Option<string?>("--section") { Description = "Only chunks under this section heading" };
        var json = new Option<bool>("--json") { Description = "One JSON line per query: {\"query\", \"results\": [{\"path\", \"score\", \"text\"}]}" };
        var command = new Command("search", "Search a document store by keyword, embedding or both");
        command.Arguments.Add(query);
        foreach (var option in new Option[] { file, db, mode, k, pathPrefix, section, json }) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            List<string> queries;
            if (parse.GetValue(file) is { } path)
            {
                if (!File.Exists(path)) return RetrievalSetup.Refuse($"no file '{path}'");
                queries = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            }
            else if (parse.GetValue(query) is { Length: > 0 } q) queries = [q];
            else return RetrievalSetup.Refuse("give a query or --file");
            if (parse.GetValue(k) < 1) return RetrievalSetup.Refuse("-k must be at least 1");
            try
            {
                using var store = DocumentStore.Open(parse.GetValue(db) ?? RetrievalSetup.DefaultDatabase, readOnly: true);
                var generator = store.Model is null ? null : RetrievalSetup.CreateEmbeddingGenerator();
                SearchMode searchMode;
                switch (parse.GetValue(mode))
                {
                    case null: searchMode = generator is null ? SearchMode.Keyword : SearchMode.Hybrid; break;
                    case var m when Enum.TryParse(m, ignoreCase: true, out searchMode): break;
                    case var m: return RetrievalSetup.Refuse($"unknown --mode '{m}' (keyword, dense or hybrid)");
                }
                if (searchMode != SearchMode.Keyword && generator is null)
                    return RetrievalSetup.Refuse(store.Model is null
                        ? $"{store.FilePath} has no embeddings; use --mode keyword or re-index with an embedding model"
                        : $"no embedding model available for '{store.Model.Name}'; use --mode keyword");
                var filter = new SearchFilter { PathPrefix = parse.GetValue(pathPrefix), Section = parse.GetValue(section) };
                var options = new SearchOptions { Mode = searchMode, K = parse.GetValue(k), Filter = filter };
                var retriever = new Retriever(store, generator);
                foreach (var text in queries)
                {
                    var hits = await retriever.SearchAsync(text, options, cancellationToken);
                    if (parse.GetValue(json))
                        RetrievalSetup.WriteJson(new { query = text, results = hits.Select(h => new { path = h.Chunk.Path, score = h.Score, text = h.Chunk.Text, title = h.Chunk.Title, section = h.Chunk.Section }) });
                    else
                    {
                        if (queries.Count > 1) Console.WriteLine($"# {text}");
                        for (var i = 0; i < hits.Count; i++)
                        {
                            var h = hits[i];
                            Console.WriteLine($"{i + 1}. {h.Chunk.Path}{(h.Chunk.Section.Length > 0 ? " § " + h.Chunk.Section : "")}  ({h.Score:0.####})");
                            Console.WriteLine("   " + Snippet(h.Chunk.Text));
                        }
                        if (hits.Count == 0) Console.WriteLine("no results");
                    }
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

    private static string Snippet(string text)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 200 ? flat : flat[..199] + "…";
    }
}
