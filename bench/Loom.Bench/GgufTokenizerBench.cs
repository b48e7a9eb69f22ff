using System.Globalization;
using System.Text;
using LLama;
using LLama.Common;
using Loom.Formats;
using Loom.Tokenization;

namespace Loom.Bench;

/// <summary>
/// Suite "gguf-tokenizers": encode MB/s of a GGUF SentencePiece ("llama") vocabulary in Loom next to llama.cpp
/// (LLamaSharp, vocabulary-only load) on the Debian fortunes, one entry per call. The vocabulary (3,000 merges) is
/// learned from a fifth of the fortunes as the parity test does. Sides alternate; best of --runs runs.
/// </summary>
internal static class GgufTokenizerBench
{
    private const char Space = '\u2581';

    public static int Run(string[] args)
    {
        int runs = args.Length > 1 && args[0] == "--runs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var entries = TokenizerBench.FortuneEntries();
        double megabytes = entries.Sum(e => Encoding.UTF8.GetByteCount(e)) / 1e6;
        Console.WriteLine($"corpus: {entries.Count} fortunes, {megabytes:F2} MB; best of {runs} runs; 1 thread");
        var path = Path.Combine(Path.GetTempPath(), $"loom-bench-spm-{Environment.ProcessId}.gguf");
        SentencePieceGguf(entries).Write(path);
        try
        {
            var loom = TokenizerResolver.Resolve(path);
            using var llama = LLamaWeights.LoadFromFile(new ModelParams(path) { VocabOnly = true, GpuLayerCount = 0 });
            TokenizerBench.Compare("GGUF SentencePiece (llama) vocabulary", megabytes, runs,
                ("Loom SentencePieceScoreTokenizer", () => { foreach (var e in entries) loom.EncodeToIds(e); }),
                ("llama.cpp (LLamaSharp Tokenize)", () => { foreach (var e in entries) llama.Tokenize(e, true, true, Encoding.UTF8); }));
        }
        finally { File.Delete(path); }
        return 0;
    }

    private static GgufWriter SentencePieceGguf(List<string> entries)
    {
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in entries.Where((_, i) => i % 5 == 0))
            foreach (var word in (" " + entry).Replace(' ', Space).Split(Space, StringSplitOptions.RemoveEmptyEntries))
                wordCounts[Space + word] = wordCounts.GetValueOrDefault(Space + word) + 1;
        var symbols = new List<string>();
        var symbolIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var words = wordCounts.Keys.Select(word => word.EnumerateRunes().Select(rune =>
        {
            var text = rune.ToString();
            if (!symbolIds.TryGetValue(text, out int id)) { symbolIds[text] = id = symbols.Count; symbols.Add(text); }
            return id;
        }).ToList()).ToArray();
        var merges = BpeMergeLearner.Learn(symbols, words, [.. wordCounts.Values], 3000, 2, string.Concat, null, CancellationToken.None);
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { 2, 3, 3 };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(6); scores.Add(0); }
        var seen = new HashSet<string>(tokens, StringComparer.Ordinal);
        for (int rank = 0; rank < merges.Count; rank++)
            if (seen.Add(merges[rank].Merged)) { tokens.Add(merges[rank].Merged); types.Add(1); scores.Add(-rank); }
        foreach (var symbol in symbols.Take(symbolIds.Count))
            if (seen.Add(symbol)) { tokens.Add(symbol); types.Add(1); scores.Add(-1_000_000 - tokens.Count); }
        return new GgufWriter()
            .AddMetadata("general.architecture", "llama")
            .AddMetadata("llama.context_length", 64u)
            .AddMetadata("llama.embedding_length", 64u)
            .AddMetadata("llama.block_count", 1u)
            .AddMetadata("llama.feed_forward_length", 128u)
            .AddMetadata("llama.attention.head_count", 4u)
            .AddMetadata("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .AddMetadata("llama.rope.dimension_count", 16u)
            .AddMetadata("tokenizer.ggml.model", "llama")
            .AddMetadata("tokenizer.ggml.tokens", tokens.ToArray())
            .AddMetadata("tokenizer.ggml.scores", scores.ToArray())
            .AddMetadata("tokenizer.ggml.token_type", types.ToArray())
            .AddMetadata("tokenizer.ggml.bos_token_id", 1u)
            .AddMetadata("tokenizer.ggml.eos_token_id", 2u)
            .AddMetadata("tokenizer.ggml.unknown_token_id", 0u);
    }
}
