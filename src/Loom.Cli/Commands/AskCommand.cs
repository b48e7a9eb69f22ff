using System.CommandLine;
using Loom.Generation;
using Loom.Generation.Templates;
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
        var model = new Option<string?>("--model") { Description = "Model name at --endpoint; without --endpoint, a local model (Hugging Face folder, or .gguf with --tokenizer)" };
        var tokenizer = DecoderCli.TokenizerOption();
        var k = new Option<int>("-k") { Description = "Sources to retrieve", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "One JSON line: answer, citations and sources" };
        var command = new Command("ask", "Answer a question from documents, citing sources as [1], [2]");
        command.Arguments.Add(question);
        foreach (var option in new Option[] { corpus, db, endpoint, model, tokenizer, k, json }) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetValue(question);
            if (string.IsNullOrWhiteSpace(text)) return RetrievalSetup.Refuse("the question is empty");
            if (parse.GetValue(k) < 1) return RetrievalSetup.Refuse("-k must be at least 1");
            IChatClient? chat = null;
            DecoderCli? session = null; // a local model, disposed when the answer is printed
            if (parse.GetValue(endpoint) is { } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return RetrievalSetup.Refuse($"--endpoint '{url}' is not an http(s) URL");
                if (parse.GetValue(model) is not { Length: > 0 } name) return RetrievalSetup.Refuse("--endpoint needs --model NAME");
                chat = OpenAICompatible.CreateChatClient(uri, name);
            }
            else if (parse.GetValue(model) is { } local)
            {
                try
                {
                    session = DecoderCli.Open(local, 0, parse.GetValue(tokenizer));
                    if (session.Tokenizer is not { } words) return RetrievalSetup.Refuse("a local model needs its tokenizer: a folder with tokenizer.json, or --tokenizer FILE");
                    if (session.Chat.Template is not { } template) return RetrievalSetup.Refuse("the model ships no chat template; use --endpoint or a chat model");
                    var stops = new HashSet<int>(session.EndTokens);
                    foreach (var end in ChatCommand.EndOfTurn.Append(session.Chat.EosToken).Where(e => e.Length > 0))
                        if (words.EncodeToIds(end) is [int single]) stops.Add(single);
                    chat = new LocalChatClient(session.Model, words, ChatTemplate.Parse(template), new LocalChatClientOptions
                    {
                        BosToken = session.Chat.BosToken,
                        EosToken = session.Chat.EosToken,
                        StopTokens = stops,
                        MaxOutputTokens = 512,
                        ContextSize = Math.Min(session.Model.ContextLength, 4096),
                        Sampling = new SamplingOptions { Temperature = 0 },
                    });
                }
                catch (Exception e) when (DecoderCli.IsRefusal(e))
                {
                    return RetrievalSetup.Refuse(e.Message);
                }
            }
            if (parse.GetValue(db) is not null && parse.GetValue(corpus) is not null) return RetrievalSetup.Refuse("give --db or --corpus, not both");

            using var _ = session;
            using var __ = chat;
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
