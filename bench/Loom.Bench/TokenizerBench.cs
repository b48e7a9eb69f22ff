using Loom.Formats;
using System.Diagnostics;
using System.Text;
using Loom.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Loom.Bench;

/// <summary>
/// Suite "tokenizers": encode MB/s of Loom's tokenizers next to Hugging Face tokenizers (Rust, via Tokenizers.DotNet)
/// and Microsoft.ML.Tokenizers on the Debian fortunes, one entry per call (word2vec has its own suite, "word2vec").
/// Sides alternate; each figure is the best of --runs runs.
/// </summary>
internal static class TokenizerBench
{
    public static int Run(string[] args)
    {
        int runs = args.Length > 1 && args[0] == "--runs" ? int.Parse(args[1]) : 5;
        var entries = FortuneEntries();
        double megabytes = entries.Sum(e => Encoding.UTF8.GetByteCount(e)) / 1e6;
        Console.WriteLine($"corpus: {entries.Count} fortunes, {megabytes:F2} MB; best of {runs} runs; 1 thread");

        var vocab = DefaultModels.Resolve("minilm").VocabPath;
        var loomBert = BertWordPieceTokenizer.FromVocabFile(vocab);
        var mlBert = BertTokenizer.Create(vocab);
        var hfBert = HuggingFaceBert(vocab);
        Compare("MiniLM WordPiece", megabytes, runs,
            ("Loom BertWordPieceTokenizer", () => { foreach (var e in entries) loomBert.EncodeToIds(e); }),
            ("HF tokenizers (Tokenizers.DotNet)", () => { foreach (var e in entries) hfBert.Encode(e); }),
            ("ML.Tokenizers BertTokenizer (not HF-exact)", () => { foreach (var e in entries) mlBert.EncodeToIds(e); }));

        var cl100k = TokenizerResolver.Resolve("cl100k");
        var mlCl100k = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        Compare("cl100k", megabytes, runs,
            ("Loom TokenizerResolver(\"cl100k\")", () => { foreach (var e in entries) cl100k.EncodeToIds(e); }),
            ("ML.Tokenizers TiktokenTokenizer", () => { foreach (var e in entries) mlCl100k.EncodeToIds(e); }));

        foreach (int size in new[] { 8000 })
        {
            var path = Path.Combine(Path.GetTempPath(), $"loom-bench-bpe-{Environment.ProcessId}.json");
            double best = double.MaxValue;
            for (int r = 0; r < Math.Min(runs, 3); r++)
            {
                var clock = Stopwatch.StartNew();
                ByteLevelBpeTrainer.Train(entries, path, new BpeTrainerOptions { VocabularySize = size });
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
            File.Delete(path);
            Console.WriteLine($"byte-level BPE trainer, {size} tokens on {megabytes:F2} MB: {best:F2} s");
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
