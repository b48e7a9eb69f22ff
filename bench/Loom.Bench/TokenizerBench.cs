using Loom.Data;
using Loom.Formats;
using System.Diagnostics;
using System.Text;
using Loom.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Loom.Bench;

/// <summary>
/// Suite "tokenizers", on the man pages (rendered) + the Debian fortunes: encode MB/s of Loom's tokenizers next to Hugging
/// Face tokenizers (Rust, via Tokenizers.DotNet) and Microsoft.ML.Tokenizers, one page or fortune per call; the BPE and
/// Unigram trainers (8k vocabulary) next to sentencepiece's spm_train on the same text (word2vec has its own suite,
/// "word2vec"). Sides alternate; each figure is the best of --runs runs (trainers: at most --train-runs).
/// </summary>
internal static class TokenizerBench
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int runs = int.Parse(Arg("--runs") ?? "5");
        int trainRuns = int.Parse(Arg("--train-runs") ?? "2");
        int vocabularySize = int.Parse(Arg("--vocab") ?? "8000");
        var reading = Stopwatch.StartNew();
        var texts = ManPages.Texts().Concat(FortuneEntries()).ToList();
        double megabytes = texts.Sum(e => Encoding.UTF8.GetByteCount(e)) / 1e6;
        Console.WriteLine($"corpus: {texts.Count} man pages and fortunes, {megabytes:F2} MB (read and rendered in {reading.Elapsed.TotalSeconds:F1} s); " +
            $"best of {runs} runs; encoders on 1 thread; {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

        var vocab = DefaultModels.Resolve("minilm").VocabPath;
        var loomBert = BertWordPieceTokenizer.FromVocabFile(vocab);
        var mlBert = BertTokenizer.Create(vocab);
        var hfBert = HuggingFaceBert(vocab);
        Compare("MiniLM WordPiece", megabytes, runs,
            ("Loom BertWordPieceTokenizer", () => { foreach (var e in texts) loomBert.EncodeToIds(e); }),
            ("HF tokenizers (Tokenizers.DotNet)", () => { foreach (var e in texts) hfBert.Encode(e); }),
            ("ML.Tokenizers BertTokenizer (not HF-exact)", () => { foreach (var e in texts) mlBert.EncodeToIds(e); }));

        var cl100k = TokenizerResolver.Resolve("cl100k");
        var mlCl100k = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        Compare("cl100k", megabytes, runs,
            ("Loom TokenizerResolver(\"cl100k\")", () => { foreach (var e in texts) cl100k.EncodeToIds(e); }),
            ("ML.Tokenizers TiktokenTokenizer", () => { foreach (var e in texts) mlCl100k.EncodeToIds(e); }));

        // The trainers read the same text: Loom the pages and fortunes (Unigram: their lines), spm_train a file of those lines.
        var lines = texts.SelectMany(t => t.Split('\n')).Where(l => l.Length > 0).ToList();
        var corpus = Path.Combine(Path.GetTempPath(), $"loom-bench-corpus-{Environment.ProcessId}.txt");
        File.WriteAllLines(corpus, lines);
        var output = Path.Combine(Path.GetTempPath(), $"loom-bench-trained-{Environment.ProcessId}");
        try
        {
            CompareTrainers($"BPE trainer, {vocabularySize} tokens", trainRuns,
                ("Loom ByteLevelBpeTrainer", () => ByteLevelBpeTrainer.Train(texts, output + ".json", new BpeTrainerOptions { VocabularySize = vocabularySize })),
                ("spm_train --model_type=bpe", () => SpmTrain(corpus, output, "bpe", vocabularySize)));
            CompareTrainers($"Unigram trainer, {vocabularySize} tokens", trainRuns,
                ("Loom UnigramTrainer", () => UnigramTrainer.Train(lines, output + ".json", new UnigramTrainerOptions { VocabularySize = vocabularySize })),
                ("spm_train --model_type=unigram", () => SpmTrain(corpus, output, "unigram", vocabularySize)));
            CompareUnigramVocabularies(output, lines);
        }
        finally
        {
            foreach (var file in new[] { corpus, output + ".json", output + ".model", output + ".vocab" }) File.Delete(file);
        }

        return 0;
    }

    internal static void Compare(string title, double megabytes, int runs, params (string Name, Action Encode)[] sides)
    {
        var best = sides.Select(_ => double.MaxValue).ToArray();
        foreach (var side in sides) side.Encode(); // warm-up
        for (int r = 0; r < runs; r++)
            for (int s = 0; s < sides.Length; s++)
            {
                int index = (s + r) % sides.Length; // alternate which side goes first
                var clock = Stopwatch.StartNew();
                sides[index].Encode();
                best[index] = Math.Min(best[index], clock.Elapsed.TotalSeconds);
            }
        Console.WriteLine(title);
        for (int s = 0; s < sides.Length; s++)
            Console.WriteLine($"  {sides[s].Name,-44} {megabytes / best[s],7:F2} MB/s  {best[s] / best[0],5:F2}× Loom's time");
    }

    /// <summary>Times each trainer (alternating which goes first), best of <paramref name="runs"/>, and prints the ratio to Loom.</summary>
    private static void CompareTrainers(string title, int runs, params (string Name, Action Train)[] sides)
    {
        var best = sides.Select(_ => double.MaxValue).ToArray();
        for (int r = 0; r < runs; r++)
            for (int s = 0; s < sides.Length; s++)
            {
                int index = (s + r) % sides.Length;
                var clock = Stopwatch.StartNew();
                sides[index].Train();
                best[index] = Math.Min(best[index], clock.Elapsed.TotalSeconds);
            }
        Console.WriteLine(title);
        for (int s = 0; s < sides.Length; s++)
            Console.WriteLine($"  {sides[s].Name,-44} {best[s],7:F1} s  {best[s] / best[0],5:F2}× Loom's time");
    }

    /// <summary>sentencepiece's trainer on the same lines: no normalisation or whitespace clean-up (Loom's trainers do none), all threads.</summary>
    private static void SpmTrain(string corpus, string prefix, string model, int vocabularySize)
    {
        var start = new ProcessStartInfo("spm_train")
        {
            ArgumentList =
            {
                $"--input={corpus}", $"--model_prefix={prefix}", $"--model_type={model}", $"--vocab_size={vocabularySize}",
                $"--num_threads={Environment.ProcessorCount}", "--normalization_rule_name=identity", "--remove_extra_whitespaces=false",
                "--minloglevel=2",
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("spm_train did not start (apt-get install sentencepiece)");
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"spm_train failed: {errors.Result}");
    }

    /// <summary>The last Unigram vocabularies trained (Loom's tokenizer.json, spm's .vocab): shared pieces and tokens per character.</summary>
    private static void CompareUnigramVocabularies(string output, List<string> lines)
    {
        var loom = (UnigramTokenizer)TokenizerJsonLoader.Load(output + ".json");
        var spm = File.ReadLines(output + ".vocab").Select(l => l.Split('\t')[0]).Where(p => p is not ("<unk>" or "<s>" or "</s>")).ToHashSet(StringComparer.Ordinal);
        var ours = loom.Vocabulary.Keys.Where(p => p is not ("<unk>" or "<s>" or "</s>")).ToHashSet(StringComparer.Ordinal);
        int shared = ours.Count(spm.Contains);
        var sample = lines.Where((_, i) => i % 20 == 0).ToList();
        var sampleFile = output + ".sample";
        File.WriteAllLines(sampleFile, sample);
        long spmTokens;
        try
        {
            var start = new ProcessStartInfo("spm_encode") { ArgumentList = { $"--model={output}.model", "--output_format=id", $"--input={sampleFile}" }, RedirectStandardOutput = true };
            using var process = Process.Start(start)!;
            spmTokens = 0;
            while (process.StandardOutput.ReadLine() is { } line) spmTokens += line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            process.WaitForExit();
        }
        finally { File.Delete(sampleFile); }
        long characters = sample.Sum(l => (long)l.Length);
        long loomTokens = sample.Sum(l => (long)loom.CountTokens(l));
        Console.WriteLine($"  vocabulary overlap: {shared} of {ours.Count} Loom pieces are spm pieces ({100.0 * shared / ours.Count:F1} %); " +
            $"characters per token on every 20th line: Loom {(double)characters / loomTokens:F3}, spm {(double)characters / spmTokens:F3}");
    }

    private static Tokenizers.DotNet.Tokenizer HuggingFaceBert(string vocabPath)
    {
        // The tokenizer.json sentence-transformers publishes for all-MiniLM-L6-v2, rebuilt from its vocab.txt.
        var tokens = File.ReadAllLines(vocabPath).Where(t => t.Length > 0).ToList();
        var json = new StringBuilder();
        json.Append("""{"version":"1.0","added_tokens":[""");
        json.AppendJoin(',', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Select(t =>
            $$"""{"id":{{tokens.IndexOf(t)}},"content":"{{t}}","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}"""));
        json.Append("""],"normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},""");
        json.Append("""
            "pre_tokenizer":{"type":"BertPreTokenizer"},"post_processor":{"type":"BertProcessing","sep":["[SEP]",102],"cls":["[CLS]",101]},
            "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
            "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{
            """);
        json.AppendJoin(',', tokens.Select((t, i) => $"{System.Text.Json.JsonSerializer.Serialize(t)}:{i}"));
        json.Append("}}}");
        var path = Path.Combine(Path.GetTempPath(), $"loom-bench-{Environment.ProcessId}.json");
        File.WriteAllText(path, json.ToString());
        try { return new Tokenizers.DotNet.Tokenizer(vocabPath: path); }
        finally { File.Delete(path); }
    }

    internal static List<string> FortuneEntries()
    {
        var entries = new List<string>();
        foreach (var file in Directory.GetFiles("/usr/share/games/fortunes").Where(f => Path.GetExtension(f) == "" && new FileInfo(f).LinkTarget is null).Order())
        {
            var entry = new StringBuilder();
            foreach (var line in File.ReadLines(file))
            {
                if (line == "%") { if (entry.Length > 0) entries.Add(entry.ToString()); entry.Clear(); }
                else entry.Append(line).Append('\n');
            }
            if (entry.Length > 0) entries.Add(entry.ToString());
        }
        return entries;
    }
}
