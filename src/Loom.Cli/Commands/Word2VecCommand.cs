using System.CommandLine;
using Loom.Embeddings;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary>`loom word2vec train|similar|analogy`: word embeddings trained on a text file, and questions to them.</summary>
internal static class Word2VecCommand
{
    internal static Command Create()
    {
        var command = new Command("word2vec", "Train word2vec embeddings and query neighbours and analogies");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Similar());
        command.Subcommands.Add(Analogy());
        return command;
    }

    private static Option<FileInfo> ModelOption(bool output) => new(output ? "--out" : "--model", "-m")
    {
        Description = "word2vec model (binary format; .txt means the text format)",
        DefaultValueFactory = _ => new FileInfo("word2vec.bin"),
    };

    private static Command Train()
    {
        var corpus = new Argument<FileInfo>("corpus") { Description = "Text file: one sentence per line" };
        var output = ModelOption(true);
        var dims = new Option<int>("--dimensions") { Description = "Vector size", DefaultValueFactory = _ => 100 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the corpus", DefaultValueFactory = _ => 5 };
        var window = new Option<int>("--window") { Description = "Context window", DefaultValueFactory = _ => 5 };
        var minCount = new Option<int>("--min-count") { Description = "Drop rarer words", DefaultValueFactory = _ => 5 };
        var cbow = new Option<bool>("--cbow") { Description = "CBOW instead of skip-gram" };
        var threads = new Option<int>("--threads") { Description = "Training threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("train", "Train word2vec on a text file");
        command.Arguments.Add(corpus);
        foreach (var option in new Option[] { output, dims, epochs, window, minCount, cbow, threads }) command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => Run("train", () =>
        {
            var options = new Word2VecOptions
            {
                Dimensions = parse.GetValue(dims), Epochs = parse.GetValue(epochs), Window = parse.GetValue(window),
                MinCount = parse.GetValue(minCount), Threads = parse.GetValue(threads),
                Architecture = parse.GetValue(cbow) ? Word2VecArchitecture.Cbow : Word2VecArchitecture.SkipGram,
            };
            var path = parse.GetValue(corpus)!.FullName;
            var started = System.Diagnostics.Stopwatch.StartNew();
            Word2VecModel? model = null;
            AnsiConsole.Progress().Start(context =>
            {
                var task = context.AddTask("training", maxValue: 1);
                var progress = new Progress<Word2VecProgress>(p => task.Value = p.TotalWords == 0 ? 1 : p.WordsProcessed / (double)p.TotalWords);
                model = Word2VecTrainer.Train(Word2VecCorpus.ReadLines(path), options, progress, cancellationToken);
                task.Value = 1;
            });
            var file = parse.GetValue(output)!.FullName;
            if (file.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) model!.SaveText(file); else model!.SaveBinary(file);
            long words = model.Counts!.Sum() * options.Epochs;
            Console.Out.WriteLine($"{model.Vocabulary.Count} words × {model.Dimensions} dimensions in {started.Elapsed.TotalSeconds:F1} s ({words / started.Elapsed.TotalSeconds:N0} words/s) → {file}");
        }));
        return command;
    }

    private static Command Similar()
    {
        var word = new Argument<string>("word");
        var model = ModelOption(false);
        var count = new Option<int>("--count", "-n") { DefaultValueFactory = _ => 10 };
        var command = new Command("similar", "The nearest words by cosine similarity");
        command.Arguments.Add(word);
        command.Options.Add(model);
        command.Options.Add(count);
        command.SetAction((parse, _) => Run("similar", () =>
            Print(Load(parse.GetValue(model)!).MostSimilar(parse.GetValue(word)!, parse.GetValue(count)))));
        return command;
    }

    private static Command Analogy()
    {
        var a = new Argument<string>("a");
        var b = new Argument<string>("b");
        var c = new Argument<string>("c");
        var model = ModelOption(false);
        var count = new Option<int>("--count", "-n") { DefaultValueFactory = _ => 10 };
        var command = new Command("analogy", "a is to b as c is to ? (3CosAdd: nearest to b − a + c)");
        foreach (var argument in new[] { a, b, c }) command.Arguments.Add(argument);
        command.Options.Add(model);
        command.Options.Add(count);
        command.SetAction((parse, _) => Run("analogy", () =>
            Print(Load(parse.GetValue(model)!).Analogy(parse.GetValue(a)!, parse.GetValue(b)!, parse.GetValue(c)!, parse.GetValue(count)))));
        return command;
    }

    private static Word2VecModel Load(FileInfo file) =>
        Word2VecModel.Load(file.FullName, binary: !file.Name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase));

    private static void Print(IReadOnlyList<WordSimilarity> words)
    {
        foreach (var (word, cosine) in words) Console.Out.WriteLine($"{cosine,8:F4}  {word}");
    }

    private static Task<int> Run(string name, Action action)
    {
        try
        {
            action();
            return Task.FromResult(0);
        }
        catch (Exception e) when (e is ArgumentException or IOException or KeyNotFoundException or Formats.ModelFormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"loom word2vec {name}: {e.Message}");
            return Task.FromResult(1);
        }
    }
}
