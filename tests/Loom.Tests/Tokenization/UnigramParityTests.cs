using System.Text.Json.Nodes;
using Loom.Formats;
using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>A Unigram tokenizer.json (Metaspace pre-tokenizer, pieces learnt on fortunes, scores ≈ −log(rank + 2)), read by Loom and by HF tokenizers.</summary>
public sealed class UnigramParityTests(ITestOutputHelper output)
{
    private static JsonNode Build()
    {
        var pieces = SentencePieceBpeParityTests.Learnt.Value.Pieces;
        var vocab = new JsonArray(new JsonArray("<unk>", 0.0), new JsonArray("<s>", 0.0), new JsonArray("</s>", 0.0));
        // Scores in multiples of 1/1024: exact in binary, so sums are exact and equal-score segmentations really tie (HF's
        // JSON float parsing is not always correctly rounded; with arbitrary decimals a tie can tip either way by an ulp).
        for (int i = 0; i < pieces.Count; i++) vocab.Add(new JsonArray(pieces[i], Math.Round(-Math.Log(i + 2) * 1024) / 1024));
        JsonNode Added(int id, string content) => new JsonObject
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(Added(0, "<unk>"), Added(1, "<s>"), Added(2, "</s>")),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = true },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = true },
            ["model"] = new JsonObject { ["type"] = "Unigram", ["unk_id"] = 0, ["byte_fallback"] = false, ["vocab"] = vocab },
        };
    }

    [Fact]
    public void UnigramEncodesAsHuggingFaceOnAllFortunes()
    {
        var json = Build();
        var path = Path.Combine(Path.GetTempPath(), $"loom-unigram-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try
        {
            var loom = TokenizerResolver.Resolve(path);
            Assert.IsType<UnigramTokenizer>(loom);
            var hf = HuggingFaceReference.Load(json);
            var texts = Fortunes.Entries.Concat(BertWordPieceParityTests.HardCases).Append("<s>hi</s> <unk> x").Append(" leading space").ToList();
            var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
            output.WriteLine($"{differing.Count} of {texts.Count} differ");
            foreach (var d in differing.Take(3))
            {
                var a = loom.EncodeToIds(d); var b = hf.Ids(d);
                int k = 0; while (k < Math.Min(a.Count, b.Length) && a[k] == b[k]) k++;
                var toks = ((UnigramTokenizer)loom).Vocabulary.ToDictionary(e => e.Value, e => e.Key);
                output.WriteLine($"at {k}: loom {string.Join("|", a.Skip(k).Take(6).Select(i => toks[i]))} hf {string.Join("|", b.Skip(k).Take(6).Select(i => toks[i]))}");
            }
            Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
            foreach (var text in texts.Take(2000))
            {
                var ids = hf.Ids(text);
                Assert.Equal(hf.Decode(ids.Select(i => (uint)i).ToArray()), loom.Decode(ids));
            }
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("[[\"a\", 0.0], [\"a\", -1.0]]", 0, "twice")]
    [InlineData("[[\"a\", \"x\"]]", 0, "not [piece")]
    [InlineData("[[\"a\", 0.0]]", 5, "unk_id")]
    public void BadUnigramFilesAreRefusedByName(string vocab, int unkId, string problem)
    {
        var json = new JsonObject
        {
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = true },
            ["model"] = new JsonObject { ["type"] = "Unigram", ["unk_id"] = unkId, ["vocab"] = JsonNode.Parse(vocab) },
        }.ToJsonString();
        var path = Path.Combine(Path.GetTempPath(), $"loom-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try { Assert.Contains(problem, Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message); }
        finally { File.Delete(path); }
    }
}
