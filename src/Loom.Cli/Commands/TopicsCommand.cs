using System.CommandLine;
using System.Text.Json;
using Loom.Classification;
using Loom.Cli.Plots;
using Loom.Clustering;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary><c>loom topics FILE</c>: BERTopic-style topics of a file of documents, with tables, JSON and pictures.</summary>
internal static class TopicsCommand
{
    internal static Command Create()
    {
        var file = new Argument<string>("file") { Description = "One document per line, or TSV whose last column is the text (\\n for newlines)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {topics: [{id, size, words, label}], assignments}" };
        var png = new Option<string?>("--png") { Description = "Write the 2-D document map coloured by topic" };
        var html = new Option<string?>("--html") { Description = "Write one self-contained interactive HTML page: the document map (hover a point for its text), topic legend and top-word bars" };
        var bars = new Option<string?>("--bars") { Description = "Write bar charts of the top words of the largest topics" };
        var hierarchy = new Option<string?>("--hierarchy") { Description = "Write the topic hierarchy (dendrogram)" };
        var minClusterSize = new Option<int>("--min-cluster-size") { Description = "HDBSCAN's smallest topic", DefaultValueFactory = _ => 10 };
        var topics = new Option<int?>("--topics") { Description = "Merge down to this many topics" };
        var words = new Option<int>("--words") { Description = "Words per topic", DefaultValueFactory = _ => 10 };
        var representation = new Option<string>("--representation")
        {
            Description = "Topic words: ctfidf, keybert (KeyBERT-inspired) or mmr (maximal marginal relevance)",
            DefaultValueFactory = _ => "ctfidf",
        };
        var reduceOutliers = new Option<bool>("--reduce-outliers") { Description = "Move outliers to their nearest topic" };
        var save = new Option<string?>("--save") { Description = "Save the topic model (JSON)" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var embeddingsFile = new Option<string?>("--embeddings") { Description = "Precomputed embeddings of the documents (.npy from 'loom embed --out')" };
        var encoderModel = new Option<string>("--model") { Description = "Sentence encoder: minilm, arctic-xs, an ONNX file or a model folder", DefaultValueFactory = _ => "minilm" };
        var command = new Command("topics", "Find topics in documents: embed, UMAP, HDBSCAN, c-TF-IDF")
        {
            file, json, png, html, bars, hierarchy, minClusterSize, topics, words, representation, reduceOutliers, save, seed, embeddingsFile, encoderModel,
        };
        command.SetAction(async (parse, ct) => await ClassifyCommand.Run(async () =>
        {
            var documents = ReadDocuments(parse.GetValue(file)!);
            var generator = ClassifyCommand.OpenEmbeddings(parse.GetValue(encoderModel)!);
            int seedValue = parse.GetValue(seed);
            var options = new TopicModelOptions
            {
                Reducer = new Umap(new UmapOptions { Components = 5, MinDist = 0, Metric = UmapMetric.Cosine, Seed = seedValue }),
                Clusterer = new Hdbscan(new HdbscanOptions { MinClusterSize = parse.GetValue(minClusterSize) }),
                WordsPerTopic = parse.GetValue(words),
                TopicCount = parse.GetValue(topics),
                Representation = parse.GetValue(representation) switch
                {
                    "ctfidf" => new ClassTfidfRepresentation(),
                    "keybert" => new KeyBertInspiredRepresentation(generator),
                    "mmr" => new MaximalMarginalRelevanceRepresentation(generator),
                    var other => throw new ArgumentException($"unknown representation '{other}' (use ctfidf, keybert or mmr)"),
                },
            };
            bool quiet = parse.GetValue(json);
            var progress = new Progress<string>(stage => { if (!quiet) Console.Error.WriteLine($"{stage}…"); });
            var embeddings = parse.GetValue(embeddingsFile) is { } npy ? NpyMatrix.Read(npy) : await EmbeddingBatches.EmbedAsync(generator, documents, 256, null, ct);
            if (embeddings.Length != documents.Count) throw new ArgumentException($"{embeddings.Length} embeddings for {documents.Count} documents");
            var model = await TopicModel.FitAsync(documents, embeddings, generator, options, progress, ct);
            if (parse.GetValue(reduceOutliers)) await model.ReduceOutliersAsync(0, ct);
            if (parse.GetValue(save) is { } savePath) model.Save(savePath);
            string title = $"{documents.Count} documents, {model.Topics.Count(t => t.Id >= 0)} topics";
            var mapPath = parse.GetValue(png);
            var htmlPath = parse.GetValue(html);
            if (mapPath is not null || htmlPath is not null)
            {
                var layout = new Umap(new UmapOptions { Components = 2, Metric = UmapMetric.Cosine, Seed = seedValue }).FitTransform(embeddings, ct);
                if (mapPath is not null) TopicPlots.SaveMap(layout, model.Assignments, model.Topics, mapPath, title);
                if (htmlPath is not null) TopicMapHtml.Save(layout, documents, model.Assignments, model.Topics, htmlPath, title);
            }
            if (parse.GetValue(bars) is { } barsPath) TopicPlots.SaveTopWords(model.Topics, barsPath);
            if (parse.GetValue(hierarchy) is { } treePath)
            {
                var regular = model.Topics.Select((t, row) => (t, row)).Where(e => e.t.Id >= 0).ToArray();
                TopicPlots.SaveHierarchy(TopicHierarchy.Build(regular.Select(e => model.ClassTfidfWeights[e.row]).ToArray()), regular.Select(e => TopicPlots.Name(e.t)).ToArray(), treePath);
            }
            if (quiet)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    topics = model.Topics.Select(t => new { id = t.Id, size = t.Size, words = t.Words.Select(w => w.Word), label = t.Label }),
                    assignments = model.Assignments,
                }, ClassifyCommand.JsonOutput));
                return;
            }
            var table = new Table().AddColumns("topic", "size", "words");
            foreach (var topic in model.Topics)
                table.AddRow(topic.Id.ToString(), topic.Size.ToString(), Markup.Escape(string.Join(" ", topic.Words.Select(w => w.Word))));
            AnsiConsole.Write(table);
        }));
        return command;
    }

    /// <summary>Documents of a file: each non-empty line, or the last tab-separated column of it (TSV).</summary>
    internal static IReadOnlyList<string> ReadDocuments(string path)
    {
        var documents = File.ReadLines(path).Where(l => l.Trim().Length > 0)
            .Select(l => LabelledTsv.Unescape(l.Contains('\t') ? l[(l.LastIndexOf('\t') + 1)..] : l)).ToArray();
        if (documents.Length < 3) throw new ArgumentException($"{Path.GetFileName(path)}: a topic model needs at least three documents");
        return documents;
    }
}
