using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Loom.Classification;
using Loom.Cli.Plots;
using Loom.Data;
using Loom.Embeddings;
using Loom.Formats;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary><c>loom classify train|predict|eval|fortunes</c>: supervised, centroid and zero-shot text classification.</summary>
internal static class ClassifyCommand
{
    internal static Command Create()
    {
        var command = new Command("classify", "Classify texts: train a classifier on labelled TSV (label<TAB>text), predict, evaluate");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Predict());
        command.Subcommands.Add(Eval());
        command.Subcommands.Add(FortunesData());
        return command;
    }

    private static Option<string> FeaturesOption() => new("--features")
    {
        Description = "Features: 'embeddings' (sentence embeddings) or 'tfidf'",
        DefaultValueFactory = _ => "embeddings",
    };

    private static Command Train()
    {
        var data = new Argument<string>("data") { Description = "Training TSV: label<TAB>text per line" };
        var output = new Option<string>("--out") { Description = "Where to write the model (JSON)", Required = true };
        var features = FeaturesOption();
        var c = new Option<double>("--c") { Description = "Inverse L2 strength, as scikit-learn's C", DefaultValueFactory = _ => 1.0 };
        var balanced = new Option<bool>("--balanced") { Description = "Weight classes inversely to their frequency" };
        var ngrams = new Option<int>("--ngrams") { Description = "TF-IDF: longest n-gram", DefaultValueFactory = _ => 1 };
        var sublinear = new Option<bool>("--sublinear-tf") { Description = "TF-IDF: use 1 + ln(tf) instead of raw counts" };
        var command = new Command("train", "Train logistic regression on embeddings or TF-IDF and save the model") { data, output, features, c, balanced, ngrams, sublinear };
        command.SetAction(async (parse, ct) => await Run(async () =>
        {
            var (labels, texts) = LabelledTsv.Read(parse.GetValue(data)!);
            var options = new LogisticRegressionOptions
            {
                C = parse.GetValue(c),
                ClassWeighting = parse.GetValue(balanced) ? ClassWeighting.Balanced : ClassWeighting.None,
            };
            var clock = Stopwatch.StartNew();
            var classifier = parse.GetValue(features) switch
            {
                "tfidf" => await TextClassifier.TrainOnTfidfAsync(texts, labels,
                    new TfidfVectorizerOptions { Counts = new CountVectorizerOptions { MaxNGram = parse.GetValue(ngrams) }, SublinearTf = parse.GetValue(sublinear) }, options, ct),
                "embeddings" => await TextClassifier.TrainOnEmbeddingsAsync(OpenEmbeddings(), texts, labels, options, null, ct),
                var other => throw new ArgumentException($"unknown features '{other}' (use embeddings or tfidf)"),
            };
            classifier.Save(parse.GetValue(output)!);
            var fit = classifier.Model.Fit!;
            Console.Error.WriteLine($"trained on {texts.Count} texts, {classifier.Labels.Count} labels, {classifier.Model.Dimension} features " +
                $"in {clock.Elapsed.TotalSeconds:F1} s ({fit.Iterations} L-BFGS iterations, gradient {fit.GradientNorm:E1}{(fit.Converged ? "" : ", not converged")})");
        }));
        return command;
    }

    private static Command Predict()
    {
        var model = new Option<string>("--model") { Description = "Model written by 'classify train'", Required = true };
        var texts = new Argument<string[]>("texts") { Description = "Texts to classify (default: one per line from stdin)", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "One JSON object per text" };
        var command = new Command("predict", "Print the predicted label and its probability for each text") { model, texts, json };
        command.SetAction(async (parse, ct) => await Run(async () =>
        {
            var classifier = LoadModel(parse.GetValue(model)!);
            string[] inputs = parse.GetValue(texts) is { Length: > 0 } given ? given : ReadStdinLines();
            var predictions = await classifier.ClassifyAsync(inputs, null, ct);
            for (int i = 0; i < inputs.Length; i++)
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new { label = predictions[i].Label, score = predictions[i].Score, text = inputs[i] }, JsonOutput)
                    : $"{predictions[i].Label}\t{predictions[i].Score.ToString("F3", CultureInfo.InvariantCulture)}");
        }));
        return command;
    }

    private static Command Eval()
    {
        var data = new Argument<string>("data") { Description = "Test TSV: label<TAB>text per line" };
        var model = new Option<string?>("--model") { Description = "Model written by 'classify train'" };
        var zeroShot = new Option<string[]>("--zero-shot")
        {
            Description = "Zero-shot instead of a model: \"label: description\" per label (embeddings)",
            AllowMultipleArgumentsPerToken = true,
        };
        var centroids = new Option<string?>("--centroids") { Description = "Class centroids of this training TSV instead of a model (embeddings)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON line {n, accuracy, macro_f1, ...}" };
        var png = new Option<string?>("--png") { Description = "Write the confusion matrix as a PNG" };
        var command = new Command("eval", "Evaluate on labelled data: accuracy, macro/micro P/R/F1, per-class report") { data, model, zeroShot, centroids, json, png };
        command.SetAction(async (parse, ct) => await Run(async () =>
        {
            var (truth, texts) = LabelledTsv.Read(parse.GetValue(data)!);
            string[] descriptions = parse.GetValue(zeroShot) ?? [];
            string? modelPath = parse.GetValue(model), centroidData = parse.GetValue(centroids);
            if ((modelPath is null ? 0 : 1) + (descriptions.Length == 0 ? 0 : 1) + (centroidData is null ? 0 : 1) != 1)
                throw new ArgumentException("give exactly one of --model, --zero-shot or --centroids");
            ITextClassifier classifier;
            string method;
            if (modelPath is not null)
            {
                classifier = LoadModel(modelPath);
                method = ((TextClassifier)classifier).Featurizer.Kind + " + logistic regression";
            }
            else if (centroidData is not null)
            {
                var (trainLabels, trainTexts) = LabelledTsv.Read(centroidData);
                classifier = await PrototypeClassifier.FromExamplesAsync(OpenEmbeddings(), trainTexts, trainLabels, null, ct);
                method = "class centroids";
            }
            else
            {
                classifier = await PrototypeClassifier.FromDescriptionsAsync(OpenEmbeddings(), descriptions.Select(ParseDescription).ToArray(), ct);
                method = "zero-shot";
            }
            var unknown = truth.Distinct().Except(classifier.Labels).ToList();
            if (unknown.Count > 0) throw new ArgumentException($"labels absent from the classifier: {string.Join(", ", unknown.Take(5))}");
            var predictions = await classifier.ClassifyAsync(texts, null, ct);
            var report = ClassificationReport.Compute(truth, predictions.Select(p => p.Label).ToArray(), classifier.Labels);
            if (parse.GetValue(png) is { } pngPath) ConfusionMatrixPlot.Save(report, pngPath, $"{method}: accuracy {report.Accuracy:F3}");
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["n"] = report.Count, ["accuracy"] = Math.Round(report.Accuracy, 4), ["macro_f1"] = Math.Round(report.MacroF1, 4),
                    ["macro_precision"] = Math.Round(report.MacroPrecision, 4), ["macro_recall"] = Math.Round(report.MacroRecall, 4),
                    ["micro_f1"] = Math.Round(report.MicroF1, 4), ["method"] = method,
                }, JsonOutput));
                return;
            }
            var table = new Table().AddColumns("label", "precision", "recall", "F1", "support");
            foreach (var m in report.PerClass)
                table.AddRow(Markup.Escape(m.Label), $"{m.Precision:F3}", $"{m.Recall:F3}", $"{m.F1:F3}", m.Support.ToString());
            AnsiConsole.Write(table);
            AnsiConsole.WriteLine($"{method}: n = {report.Count}, accuracy {report.Accuracy:F3}, macro P/R/F1 {report.MacroPrecision:F3}/{report.MacroRecall:F3}/{report.MacroF1:F3}, micro F1 {report.MicroF1:F3}");
        }));
        return command;
    }

    private static Command FortunesData()
    {
        var train = new Option<string>("--train") { Description = "Where to write the training TSV", Required = true };
        var test = new Option<string>("--test") { Description = "Where to write the test TSV", Required = true };
        var fraction = new Option<double>("--test-fraction") { DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var minEntries = new Option<int>("--min-entries") { Description = "Keep categories with at least this many entries", DefaultValueFactory = _ => 200 };
        var command = new Command("fortunes", "Write Debian fortunes (category = file name) as a stratified train/test split") { train, test, fraction, seed, minEntries };
        command.SetAction(parse => Run(() =>
        {
            var all = Fortunes.Load(new FortunesOptions { MinEntriesPerCategory = parse.GetValue(minEntries) });
            var (trainSet, testSet) = Fortunes.Split(all, parse.GetValue(fraction), parse.GetValue(seed));
            LabelledTsv.Write(parse.GetValue(train)!, trainSet.Select(f => (f.Category, f.Text)));
            LabelledTsv.Write(parse.GetValue(test)!, testSet.Select(f => (f.Category, f.Text)));
            Console.Error.WriteLine($"{all.Select(f => f.Category).Distinct().Count()} categories: {trainSet.Count} train, {testSet.Count} test");
            return Task.CompletedTask;
        }).Result);
        return command;
    }

    internal static readonly JsonSerializerOptions JsonOutput = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static KeyValuePair<string, string> ParseDescription(string text)
    {
        int colon = text.IndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) throw new ArgumentException($"--zero-shot expects \"label: description\", got \"{text}\"");
        return new(text[..colon].Trim(), text[(colon + 1)..].Trim());
    }

    private static TextClassifier LoadModel(string path)
    {
        // A TF-IDF model carries everything; an embeddings model needs the encoder it was trained with.
        try { return TextClassifier.Load(path); }
        catch (ArgumentException) { return TextClassifier.Load(path, OpenEmbeddings()); }
    }

    internal static string[] ReadStdinLines()
    {
        var lines = new List<string>();
        for (string? line = Console.In.ReadLine(); line is not null; line = Console.In.ReadLine())
            if (line.Length > 0) lines.Add(line);
        return lines.ToArray();
    }

    /// <summary>The sentence encoder: a default model name ("minilm", "arctic-xs"), an ONNX file or a model folder.</summary>
    internal static IEmbeddingGenerator<string, Embedding<float>> OpenEmbeddings(string model = "minilm") => SentenceEncoder.Create(model);

    /// <summary>Runs a command body; refused input becomes a one-line reason on stderr and exit code 1.</summary>
    internal static async Task<int> Run(Func<Task> body)
    {
        try
        {
            await body();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or ModelFormatException
                                       or NotSupportedException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"loom: {e.Message}");
            return 1;
        }
    }
}
