using System.Text.Json.Nodes;
using Loom.Tokenization;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>
/// Llama 2 / Mistral style tokenizer.json (Prepend + Replace "▁" normaliser, BPE with byte fallback and fused unknowns,
/// "&lt;s&gt; $A" template), built here from a character-level BPE learnt on 4,000 fortunes, read by Loom and by HF tokenizers.
/// </summary>
public sealed class SentencePieceBpeParityTests(ITestOutputHelper output)
{
    private static readonly Lazy<JsonNode> Llama2Style = new(() => Build(byteFallback: true));

    /// <summary>Pieces of a character-level BPE learnt on 4,000 fortunes ("▁" marks word starts), and its merges.</summary>
    internal static readonly Lazy<(List<string> Pieces, List<(string Left, string Right, string Merged)> Merges)> Learnt = new(Learn);

    private static (List<string>, List<(string, string, string)>) Learn()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in Fortunes.Entries.Take(4000))
            foreach (var piece in entry.Split(' '))
            {
                var word = "\u2581" + piece;
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        // Characters seen fewer than 20 times are left out of the vocabulary: they exercise byte fallback.
        var charCounts = counts.SelectMany(w => w.Key.Select(c => (c, w.Value))).GroupBy(e => e.c).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
        var words = counts.Where(w => w.Key.All(c => !char.IsSurrogate(c) && charCounts[c] >= 20)).ToArray();
        var symbols = words.SelectMany(w => w.Key).Distinct().Order().Select(c => c.ToString()).ToList();
        var ids = symbols.Select((s, i) => (s, i)).ToDictionary(e => e.s, e => e.i);
        var merges = BpeMergeLearner.Learn(symbols, words.Select(w => w.Key.Select(c => ids[c.ToString()]).ToList()).ToArray(),
            words.Select(w => w.Value).ToArray(), 2500, 2, string.Concat, null, CancellationToken.None);
        return (symbols, merges);
    }

    private static JsonNode Build(bool byteFallback)
    {
        var (symbols, merges) = Learnt.Value;
        var vocabulary = new List<string> { "<unk>", "<s>", "</s>" };
        if (byteFallback) vocabulary.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        vocabulary.AddRange(symbols);
        var vocab = new JsonObject();
        for (int i = 0; i < vocabulary.Count; i++) vocab[vocabulary[i]] = i;
        JsonNode Added(int id, string content) => new JsonObject
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(Added(0, "<unk>"), Added(1, "<s>"), Added(2, "</s>")),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "\u2581" }),
            },
            ["pre_tokenizer"] = null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 1 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject { ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(1), ["tokens"] = new JsonArray("<s>") } },
            },
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "\u2581" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<unk>", ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = true, ["byte_fallback"] = byteFallback, ["ignore_merges"] = false, ["vocab"] = vocab,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)$"{m.Left} {m.Right}").ToArray()),
            },
        };
    }

    private static (Tokenizer Loom, Tokenizers.DotNet.Tokenizer Hf) Load(JsonNode json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-spbpe-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try { return (TokenizerResolver.Resolve(path), HuggingFaceReference.Load(json)); }
        finally { File.Delete(path); }
    }

    private static IEnumerable<string> Texts => Fortunes.Entries.Concat(BertWordPieceParityTests.HardCases).Append("<s>hello</s> <unk>x");

    [Fact]
    public void ByteFallbackBpeEncodesAndDecodesAsHuggingFaceOnAllFortunes()
    {
        var (loom, hf) = Load(Llama2Style.Value);
        Assert.IsType<SentencePieceBpeTokenizer>(loom);
        var differing = Texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
        output.WriteLine($"{differing.Count} of {Texts.Count()} differ");
        Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
        foreach (var text in Texts.Take(3000))
        {
            var ids = hf.Ids(text);
            Assert.Equal(hf.Decode(ids.Select(i => (uint)i).ToArray()), loom.Decode(ids));
        }
    }

    [Fact]
    public void MetaspacePreTokenizerEncodesAsHuggingFace()
    {
        // Newer Mistral-style files: no normaliser; a Metaspace pre-tokenizer that does not split puts in the "▁"s,
        // prepending one only when the text does not already start with a space.
        var json = Build(byteFallback: true);
        json["normalizer"] = null;
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = false };
        var (loom, hf) = Load(json);
        foreach (var text in Texts.Take(1000).Concat([" leading space", "  two", "x"]))
            Assert.Equal(hf.Ids(text), loom.EncodeToIds(text));
    }

    [Fact]
    public void WithoutByteFallbackUnknownCharactersFuseIntoOneUnknownAsInHuggingFace()
    {
        var (loom, hf) = Load(Build(byteFallback: false));
        foreach (var text in Texts.Take(1000).Concat(["ü😀日本 x", "😀😀"]))
            Assert.Equal(hf.Ids(text), loom.EncodeToIds(text));
    }
}
