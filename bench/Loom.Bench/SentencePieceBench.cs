using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Loom.Tokenization;

namespace Loom.Bench;

/// <summary>
/// Suite "sentencepiece": encode MB/s of SentencePiece .model files (8k Unigram and 8k BPE, nmt_nfkc, trained here by
/// spm_train on the fortunes) in Loom next to sentencepiece 0.1.97 itself (Debian's python3-sentencepiece, timed inside
/// Python: one encode call per fortune, one thread, as Loom is). Best of --runs runs each; the sides take turns.
/// </summary>
internal static class SentencePieceBench
{
    private const string TimingScript = """
        import json, sys, time
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
        with open(sys.argv[2], encoding='utf-8') as f:
            texts = json.load(f)
        for t in texts: sp.encode(t)
        best = float('inf')
        for _ in range(int(sys.argv[3])):
            start = time.perf_counter()
            for t in texts: sp.encode(t)
            best = min(best, time.perf_counter() - start)
        print(best)
        """;

    public static int Run(string[] args)
    {
        int runs = args.Length > 1 && args[0] == "--runs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var entries = TokenizerBench.FortuneEntries();
        double megabytes = entries.Sum(e => Encoding.UTF8.GetByteCount(e)) / 1e6;
        Console.WriteLine($"corpus: {entries.Count} fortunes, {megabytes:F2} MB; best of {runs} runs; 1 thread");
        var directory = Directory.CreateTempSubdirectory("loom-bench-spm").FullName;
        try
        {
            var corpus = Path.Combine(directory, "corpus.txt");
            File.WriteAllLines(corpus, entries.SelectMany(e => e.Split('\n')).Where(l => l.Length > 0));
            var texts = Path.Combine(directory, "texts.json");
            File.WriteAllText(texts, JsonSerializer.Serialize(entries));
            var script = Path.Combine(directory, "time.py");
            File.WriteAllText(script, TimingScript);
            foreach (var type in new[] { "unigram", "bpe" })
            {
                var prefix = Path.Combine(directory, type);
                Run("spm_train", $"--input={corpus}", $"--model_prefix={prefix}", $"--model_type={type}", "--vocab_size=8000", "--minloglevel=2");
                var loom = SentencePieceTokenizer.FromFile(prefix + ".model");
                foreach (var e in entries) loom.EncodeToIds(e); // warm-up
                double loomBest = double.MaxValue, spmBest = double.MaxValue;
                for (int r = 0; r < runs; r++)
                {
                    var clock = Stopwatch.StartNew();
                    foreach (var e in entries) loom.EncodeToIds(e);
                    loomBest = Math.Min(loomBest, clock.Elapsed.TotalSeconds);
                    spmBest = Math.Min(spmBest, double.Parse(Run("/usr/bin/python3", script, prefix + ".model", texts, "1"), CultureInfo.InvariantCulture));
                }
                Console.WriteLine($"{type} 8k, nmt_nfkc");
                Console.WriteLine($"  {"Loom SentencePieceTokenizer",-44} {megabytes / loomBest,7:F2} MB/s  {1.0,5:F2}× Loom's time");
                Console.WriteLine($"  {"sentencepiece 0.1.97 (Python, per entry)",-44} {megabytes / spmBest,7:F2} MB/s  {spmBest / loomBest,5:F2}× Loom's time");
            }
        }
        finally { Directory.Delete(directory, true); }
        return 0;
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} failed: {error.Result}");
        return output.Trim();
    }
}
