using System.CommandLine;
using Loom.Retrieval;
using Microsoft.Extensions.AI;

namespace Loom.Cli.Commands;

/// <summary><c>loom ask "question"</c>: an answer grounded in a corpus (Loom's own docs by default), with numbered sources.</summary>
internal static class AskCommand
{
    public static Command Create()
    {
        var question = new Argument<string>("question") { Description = "What to ask" };
        var corpus = new Option<string?>("--corpus") { Description = "Folder to answer from, indexed on demand (default: Loom's own docs)" };
        var db = new Option<string?>("--db") { Description = "Answer from this existing store instead of a corpus folder" };
        var endpoint = new Option<string?>("--endpoint") { Description = "OpenAI-compatible API base, e.g. http://localhost:11434/v1 (Ollama); without it the answer is extractive" };
        var model = new Option<string?>("--model") { Description = "Model name at --endpoint" };
        var k = new Option<int>("-k") { Description = "Sources to retrieve", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "One JSON line: answer, citations and sources" };
        var command = new Command("ask", "Answer a question from documents, citing sources as [1], [2]");
        command.Arguments.Add(question);
        foreach (var option in new Option[] { corpus, db, endpoint, model, k, json }) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetValue(question);
            if (string.IsNullOrWhiteSpace(text)) return RetrievalSetup.Refuse("the question is empty");
            if (parse.GetValue(k) < 1) return RetrievalSetup.Refuse("-k must be at least 1");
            IChatClient? chat = null;
            if (parse.GetValue(endpoint) is { } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return RetrievalSetup.Refuse($"--endpoint '{url}' is not an http(s) URL");
                if (parse.GetValue(model) is not { Length: > 0 } name) return RetrievalSetup.Refuse("--endpoint needs --model NAME");
                chat = OpenAICompatible.CreateChatClient(uri, name);
            }
            else if (parse.GetValue(model) is not null) return RetrievalSetup.Refuse("--model names a model at --endpoint; give --endpoint too");
            if (parse.GetValue(db) is not null && parse.GetValue(corpus) is not null) return RetrievalSetup.Refuse("give --db or --corpus, not both");

            try
            {
                var generator = RetrievalSetup.CreateEmbeddingGenerator();
                DocumentStore store;
                Func<string, string> display = path => path;
                if (parse.GetValue(db) is { } dbPath) store = DocumentStore.Open(dbPath, readOnly: true);
                else
                {
                    var bundled = parse.GetValue(corpus) is null;
                    var folder = parse.GetValue(corpus) ?? RetrievalSetup.BundledDocs();
                    // Sources are shown relative to the corpus (the bundled docs as docs/..., not their cache folder).
                    display = path => (bundled ? "docs/" : "") + Path.GetRelativePath(folder, path);
                    if (!Directory.Exists(folder)) return RetrievalSetup.Refuse($"no folder '{folder}'");
                    store = DocumentStore.Open(RetrievalSetup.DatabaseFor(folder));
                    if (store.Model is not null && generator is null)
                        return RetrievalSetup.Refuse($"{store.FilePath} was indexed with '{store.Model.Name}', which is not available");
                    var indexing = new IndexingOptions { Chunking = RetrievalSetup.Chunking(generator, new ChunkingOptions().MaxTokens, new ChunkingOptions().OverlapTokens) };
                    await RetrievalSetup.IndexAsync(new Indexer(store, generator, indexing), folder, parse.GetValue(json), cancellationToken);
                }
                using (store)
                {
                    if (store.Model is null) generator = null;
                    var search = new SearchOptions { Mode = generator is null ? SearchMode.Keyword : SearchMode.Hybrid, K = parse.GetValue(k) };
                    var answer = await new Rag(new Retriever(store, generator), chat, new RagOptions { Search = search }).AskAsync(text, cancellationToken);
                    if (parse.GetValue(json))
                    {
                        RetrievalSetup.WriteJson(new
                        {
                            question = answer.Question, answer = answer.Text, extractive = answer.Extractive, cited = answer.Cited,
                            sources = answer.Sources.Select(s => new { number = s.Number, path = display(s.Chunk.Path), title = s.Chunk.Title, section = s.Chunk.Section, score = s.Score, text = s.Chunk.Context }),
                        });
                        return 0;
                    }
                    Console.WriteLine(answer.Text);
                    Console.WriteLine();
                    foreach (var s in answer.Sources)
                        Console.WriteLine($"[{s.Number}] {display(s.Chunk.Path)}{(s.Chunk.Section.Length > 0 ? " § " + s.Chunk.Section : "")}  ({s.Score:0.####})");
                    return 0;
                }
            }
            catch (Exception e) when (e is StoreFormatException or EmbeddingModelMismatchException or HttpRequestException or System.ClientModel.ClientResultException)
            {
                return RetrievalSetup.Refuse(e.Message);
            }
        });
        return command;
    }
}
