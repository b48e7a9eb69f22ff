using System.Globalization;
using Loom.Formats;
using Loom.Tests.Decoder;
using Loom.Tokenization;

namespace Loom.Tests.Tokenization;

/// <summary>
/// A GGUF "llama" (SentencePiece) vocabulary tokenized by Loom and by llama.cpp itself (LLamaSharp, vocabulary only).
/// The vocabulary is learned here from a fifth of the fortunes, as SentencePiece BPE vocabularies are: "▁"-prefixed
/// words, characters then merges, merge scores falling with rank (in groups of three, so ties must go leftmost);
/// characters seen fewer than 30 times are left out so byte fallback happens on ordinary text.
/// </summary>
public sealed class GgufSentencePieceParityTests
{
    private const char Space = '\u2581';

    internal static GgufWriter LlamaVocabularyGguf(bool addBos = true, bool addSpacePrefix = true)
    {
        var charCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in Fortunes.Entries.Where((_, i) => i % 5 == 0))
            foreach (var word in (" " + entry).Replace(' ', Space).Split(Space, StringSplitOptions.RemoveEmptyEntries))
                wordCounts[Space + word] = wordCounts.GetValueOrDefault(Space + word) + 1;
        var symbols = new List<string>();
        var symbolIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var words = wordCounts.Keys.Select(word =>
        {
            var ids = new List<int>();
            for (var e = StringInfo.GetTextElementEnumerator(word); e.MoveNext();)
                foreach (var rune in ((string)e.Current).EnumerateRunes())
                {
                    var text = rune.ToString();
                    if (!symbolIds.TryGetValue(text, out int id)) { symbolIds[text] = id = symbols.Count; symbols.Add(text); }
                    charCounts[text] = charCounts.GetValueOrDefault(text) + wordCounts[word];
                    ids.Add(id);
                }
            return ids;
        }).ToArray();
        var merges = BpeMergeLearner.Learn(symbols, words, [.. wordCounts.Values], 3000, 2, string.Concat, null, CancellationToken.None);

        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { 2, 3, 3 };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(6); scores.Add(0); }
        var seen = new HashSet<string>(tokens, StringComparer.Ordinal);
        for (int rank = 0; rank < merges.Count; rank++)
            if (seen.Add(merges[rank].Merged)) { tokens.Add(merges[rank].Merged); types.Add(1); scores.Add(-(rank / 3)); }
        foreach (var (text, count) in charCounts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal))
            if (count >= 30 && seen.Add(text)) { tokens.Add(text); types.Add(1); scores.Add(-1_000_000 - tokens.Count); }
        tokens.Add("<|user|>"); types.Add(4); scores.Add(0);

        return new GgufWriter()
            .AddMetadata("general.architecture", "llama")
            .AddMetadata("llama.context_length", 64u)
            .AddMetadata("llama.embedding_length", 64u)
            .AddMetadata("llama.block_count", 1u)
            .AddMetadata("llama.feed_forward_length", 128u)
            .AddMetadata("llama.attention.head_count", 4u)
            .AddMetadata("llama.attention.head_count_kv", 4u)
            .AddMetadata("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .AddMetadata("llama.rope.dimension_count", 16u)
            .AddMetadata("tokenizer.ggml.model", "llama")
            .AddMetadata("tokenizer.ggml.tokens", tokens.ToArray())
            .AddMetadata("tokenizer.ggml.scores", scores.ToArray())
            .AddMetadata("tokenizer.ggml.token_type", types.ToArray())
            .AddMetadata("tokenizer.ggml.bos_token_id", 1u)
            .AddMetadata("tokenizer.ggml.eos_token_id", 2u)
            .AddMetadata("tokenizer.ggml.unknown_token_id", 0u)
            .AddMetadata("tokenizer.ggml.add_bos_token", addBos)
            .AddMetadata("tokenizer.ggml.add_space_prefix", addSpacePrefix);
    }

    internal static readonly string[] HardCases =
    [
        "", " ", "  leading and trailing  ", "a  b   c", "tab\tand\nnewline\r\n", "<s>inside</s> text<unk>", "user:<|user|>hi<|user|>",
        "naïve café — “quotes” …", "日本語のテキスト", "emoji 👩‍👩‍👧 and 🎉!", "\u0301combining first", "x\u200dy", "مرحبا بالعالم",
        new string('a', 500), "word" + new string(' ', 40) + "end", "\u2581already escaped",
    ];

    [Fact]
    public void LlamaVocabularyInGgufTokenizesAsLlamaCpp()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-spm-{Guid.NewGuid():N}.gguf");
        LlamaVocabularyGguf().Write(path);
        try
        {
            var loom = TokenizerResolver.Resolve(path);
            var texts = Fortunes.Entries.Concat(HardCases).ToArray();
            var (ids, decoded) = LlamaCpp.Tokenize(path, texts);
            int byteFallbacks = 0;
            for (int i = 0; i < texts.Length; i++)
            {
                var ours = loom.EncodeToIds(texts[i]);
                Assert.True(ids[i].SequenceEqual(ours), $"entry {i} {texts[i]}: llama.cpp [{string.Join(",", ids[i])}] Loom [{string.Join(",", ours)}]");
                // llama.cpp's pieces keep the prefix space its detokenizer removes.
                Assert.Equal(decoded[i].StartsWith(' ') ? decoded[i][1..] : decoded[i], loom.Decode(ours));
                if (i < Fortunes.Entries.Count) Assert.Equal(texts[i], loom.Decode(ours));
                if (i % 50 == 0 || i >= Fortunes.Entries.Count) Assert.Equal(texts[i], string.Concat(TokenView.Of(loom, texts[i]).Select(v => v.Text)));
                byteFallbacks += ours.Count(id => id is >= 3 and < 259);
            }
            Assert.True(byteFallbacks > 100, $"only {byteFallbacks} byte tokens: the test does not exercise byte fallback");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void FlagsForBosAndSpacePrefixAreHonoured()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-spm-{Guid.NewGuid():N}.gguf");
        LlamaVocabularyGguf(addBos: false, addSpacePrefix: false).Write(path);
        try
        {
            var loom = TokenizerResolver.Resolve(path);
            string[] texts = ["Hello world", " Hello world", "<s>Hello"];
            var (ids, _) = LlamaCpp.Tokenize(path, texts);
            for (int i = 0; i < texts.Length; i++) Assert.Equal(ids[i], loom.EncodeToIds(texts[i]));
            Assert.NotEqual(1, loom.EncodeToIds("Hello")[0]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void InconsistentLlamaVocabulariesAreRefusedByName()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-spm-{Guid.NewGuid():N}.gguf");
        try
        {
            new GgufWriter().AddMetadata("tokenizer.ggml.model", "llama").AddMetadata("tokenizer.ggml.tokens", new[] { "<unk>", "a" })
                .AddMetadata("tokenizer.ggml.scores", new[] { 0f }).Write(path);
            Assert.Contains("scores", Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message);
            new GgufWriter().AddMetadata("tokenizer.ggml.model", "llama").AddMetadata("tokenizer.ggml.tokens", new[] { "<unk>", "a" })
                .AddMetadata("tokenizer.ggml.bos_token_id", 7u).Write(path);
            Assert.Contains("bos_token_id", Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message);
        }
        finally { File.Delete(path); }
    }
}
