using System.CommandLine;
using System.Text.Json;
using Loom.Data;
using Loom.Tokenization;

namespace Loom.Cli.Commands;

/// <summary>`loom train-tokenizer FILE... --model bpe|wordpiece|unigram`: trains a tokenizer.json on text files (one text per line), the man pages or the fortunes.</summary>
internal static class TrainTokenizerCommand
{
    internal static Command Create()
    {
        var files = new Argument<FileInfo[]>("files") { Description = "Text files; each line is one text", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string>("--model") { Description = "bpe (byte-level, GPT-2 style), wordpiece (BERT) or unigram (SentencePiece)", DefaultValueFactory = _ => "bpe" };
        var vocabularySize = new Option<int>("--vocab-size") { Description = "Vocabulary size, special tokens included", DefaultValueFactory = _ => 8000 };
        var minFrequency = new Option<int>("--min-frequency") { Description = "Rarer pairs (bpe, wordpiece) or substrings (unigram) are not learnt", DefaultValueFactory = _ => 2 };
        var output = new Option<FileInfo>("--out", "-o") { Description = "The tokenizer.json to write", DefaultValueFactory = _ => new FileInfo("tokenizer.json") };
        var manPages = new Option<bool>("--man-pages") { Description = $"Also train on the installed man pages ({ManPages.DefaultDirectory}/man*/), rendered to text" };
        var fortunes = new Option<bool>("--fortunes") { Description = $"Also train on the Debian fortunes ({Fortunes.DefaultDirectory})" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var command = new Command("train-tokenizer", "Train a BPE, WordPiece or Unigram tokenizer and write it as a Hugging Face tokenizer.json");
        command.Arguments.Add(files);
        foreach (var option in new Option[] { model, vocabularySize, minFrequency, output, manPages, fortunes, json }) command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => Task.FromResult(Train(parse, cancellationToken)));
        return command;

        int Train(ParseResult parse, CancellationToken cancellationToken)
        {
            var inputs = parse.GetValue(files) ?? [];
            string kind = parse.GetValue(model)!.ToLowerInvariant();
            if (kind is not ("bpe" or "wordpiece" or "unigram")) return Refuse($"unknown --model '{kind}' (bpe, wordpiece or unigram)");
            if (inputs.Length == 0 && !parse.GetValue(manPages) && !parse.GetValue(fortunes)) return Refuse("no corpus: give text files, --man-pages or --fortunes");
            if (inputs.FirstOrDefault(f => !f.Exists) is { } missing) return Refuse($"no such file: {missing.FullName}");
            if (parse.GetValue(manPages) && !ManPages.IsInstalled()) return Refuse($"no man pages at {ManPages.DefaultDirectory}/man*/ (install manpages)");
            if (parse.GetValue(fortunes) && !Fortunes.IsInstalled()) return Refuse($"no fortunes at {Fortunes.DefaultDirectory} (install fortunes)");
            var texts = inputs.SelectMany(f => File.ReadLines(f.FullName))
                .Concat(parse.GetValue(manPages) ? ManPages.Texts(cancellationToken: cancellationToken).SelectMany(t => t.Split('\n')) : [])
                .Concat(parse.GetValue(fortunes) ? Fortunes.Load(new FortunesOptions { MinEntriesPerCategory = 0 }).SelectMany(f => f.Text.Split('\n')) : [])
                .Where(line => line.Length > 0);
            var path = parse.GetValue(output)!.FullName;
            int size = parse.GetValue(vocabularySize), frequency = parse.GetValue(minFrequency);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                switch (kind)
                {
                    case "bpe": ByteLevelBpeTrainer.Train(texts, path, new BpeTrainerOptions { VocabularySize = size, MinFrequency = frequency }, cancellationToken: cancellationToken); break;
                    case "wordpiece": WordPieceTrainer.Train(texts, path, new WordPieceTrainerOptions { VocabularySize = size, MinFrequency = frequency }, cancellationToken: cancellationToken); break;
                    default: UnigramTrainer.Train(texts, path, new UnigramTrainerOptions { VocabularySize = size, MinFrequency = frequency }, cancellationToken: cancellationToken); break;
                }
            }
            catch (ArgumentException e) { return Refuse(e.Message); }
            int tokens = CountVocabulary(path);
            if (parse.GetValue(json))
                Console.Out.WriteLine(JsonSerializer.Serialize(new { path, model = kind, vocabularySize = tokens, seconds = Math.Round(clock.Elapsed.TotalSeconds, 2) }));
            else
                Console.Out.WriteLine($"{kind}: {tokens} tokens in {clock.Elapsed.TotalSeconds:F1} s → {path}");
            return 0;
        }
    }

    /// <summary>Entries in the written file's model vocabulary (BPE/WordPiece: an object; Unigram: an array).</summary>
    private static int CountVocabulary(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var vocab = document.RootElement.GetProperty("model").GetProperty("vocab");
        return vocab.ValueKind == JsonValueKind.Array ? vocab.GetArrayLength() : vocab.EnumerateObject().Count();
    }

    private static int Refuse(string reason)
    {
        Console.Error.WriteLine($"loom train-tokenizer: {reason}");
        return 2;
    }
}
