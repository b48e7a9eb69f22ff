using System.Text;
using System.Text.Json.Nodes;
using Loom.Formats;
using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>
/// Unigram tokenizer.json files with a Precompiled normalizer, as Hugging Face's converter writes them for T5 / ALBERT /
/// XLNet, built from the vocabulary and real charsmap of .model files spm_train made, read by Loom and by HF tokenizers.
/// </summary>
public sealed class PrecompiledParityTests(SentencePieceParityTests.Models models, ITestOutputHelper output) : IClassFixture<SentencePieceParityTests.Models>
{
    private JsonNode Build(string modelName, bool collapseSpaces, bool whitespaceSplit)
    {
        var model = SentencePieceModelReader.Read(models.Paths[modelName]);
        var vocab = new JsonArray();
        foreach (var piece in model.Pieces) vocab.Add(new JsonArray(piece.Piece, (double)piece.Score));
        var added = new JsonArray();
        for (int i = 0; i < model.Pieces.Count; i++)
            if (model.Pieces[i].Type is SentencePieceType.Control or SentencePieceType.Unknown)
                added.Add(new JsonObject
                {
                    ["id"] = i, ["content"] = model.Pieces[i].Piece, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                    ["normalized"] = false, ["special"] = true,
                });
        JsonNode precompiled = new JsonObject { ["type"] = "Precompiled", ["precompiled_charsmap"] = Convert.ToBase64String(model.Normalizer.CharsMap!.Bytes.Span) };
        JsonNode Metaspace() => new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = true };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = collapseSpaces
                ? new JsonObject
                {
                    ["type"] = "Sequence",
                    ["normalizers"] = new JsonArray(precompiled, new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = " {2,}" }, ["content"] = " " }),
                }
                : precompiled,
            ["pre_tokenizer"] = whitespaceSplit
                ? new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(new JsonObject { ["type"] = "WhitespaceSplit" }, Metaspace()) }
                : Metaspace(),
            ["post_processor"] = null,
            ["decoder"] = Metaspace(),
            ["model"] = new JsonObject { ["type"] = "Unigram", ["unk_id"] = model.UnknownId, ["byte_fallback"] = false, ["vocab"] = vocab },
        };
    }

    [Theory]
    [InlineData("unigram", false, false)]
    [InlineData("unigram", true, true)]
    [InlineData("unigram-cf", true, false)]
    public void PrecompiledUnigramEncodesAsHuggingFace(string modelName, bool collapseSpaces, bool whitespaceSplit)
    {
        var json = Build(modelName, collapseSpaces, whitespaceSplit);
        var path = Path.Combine(Path.GetTempPath(), $"loom-precompiled-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try
        {
            var loom = Assert.IsType<UnigramTokenizer>(TokenizerResolver.Resolve(path));
            var hf = HuggingFaceReference.Load(json);
            var texts = Fortunes.Entries.Where((_, i) => i % 4 == 1).Concat(BertWordPieceParityTests.HardCases).Concat(SentencePieceParityTests.UnicodeCases).ToList();
            var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
            foreach (var text in differing.Take(3))
                output.WriteLine($"differs: {Escape(text)}\n loom {Pieces(loom, loom.EncodeToIds(text))}\n hf   {Pieces(loom, hf.Ids(text))}");
            output.WriteLine($"{differing.Count} of {texts.Count} differ");
            Assert.Empty(differing);
        }
        finally { File.Delete(path); }
    }

    /// <summary>
    /// ALBERT's converted normalizer (quote Replaces, NFKD, StripAccents, Lowercase, then the charsmap), and T5's shape
    /// (charsmap, collapsed spaces, WhitespaceSplit + Metaspace, "$A &lt;/s&gt;"), run stage by stage.
    /// </summary>
    [Theory]
    [InlineData("albert")]
    [InlineData("t5")]
    public void ConvertedFilesWithMoreStagesEncodeAsHuggingFace(string shape)
    {
        var json = Build("unigram", collapseSpaces: shape == "t5", whitespaceSplit: true);
        if (shape == "albert") json["normalizer"] = PipelineParityTests.AlbertNormalizer(json["normalizer"]!.DeepClone());
        else json["post_processor"] = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "</s>", ["type_id"] = 0 } }),
            ["pair"] = new JsonArray(),
            ["special_tokens"] = new JsonObject { ["</s>"] = new JsonObject { ["id"] = "</s>", ["ids"] = new JsonArray(2), ["tokens"] = new JsonArray("</s>") } },
        };
        var path = Path.Combine(Path.GetTempPath(), $"loom-precompiled-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try
        {
            var loom = Assert.IsType<PipelineTokenizer>(TokenizerResolver.Resolve(path));
            var hf = HuggingFaceReference.Load(json);
            var texts = Fortunes.Entries.Where((_, i) => i % 4 == 2).Concat(BertWordPieceParityTests.HardCases).Concat(SentencePieceParityTests.UnicodeCases).ToList();
            var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
            foreach (var text in differing.Take(3)) output.WriteLine($"differs: {Escape(text)}");
            output.WriteLine($"{differing.Count} of {texts.Count} differ");
            Assert.Empty(differing);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void EveryBmpCodePointIsNormalizedAsHuggingFaceDoes()
    {
        // Each code point between letters, then again after an "e" (so graphemes with combining marks form): the
        // grapheme rule and the shortest-key lookup both show in the ids.
        var json = Build("unigram-cf", collapseSpaces: true, whitespaceSplit: false);
        var path = Path.Combine(Path.GetTempPath(), $"loom-precompiled-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try
        {
            var loom = TokenizerResolver.Resolve(path);
            var hf = HuggingFaceReference.Load(json);
            // The rewrites are in effect on both sides: nmt_nfkc_cf folds width, ligatures and case.
            Assert.Equal(hf.Ids("full width fine"), hf.Ids("ＦＵＬＬ ｗｉｄｔｈ ﬁne"));
            Assert.Equal(hf.Ids("full width fine"), loom.EncodeToIds("ＦＵＬＬ ｗｉｄｔｈ ﬁne"));
            var differing = new List<string>();
            var chunk = new StringBuilder();
            for (int cp = 1; cp < 0x10000; cp++)
            {
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                chunk.Append(" x").Append((char)cp).Append("x e").Append((char)cp);
                if (chunk.Length < 4000 && cp != 0xFFFF) continue;
                var text = chunk.ToString();
                chunk.Clear();
                if (!loom.EncodeToIds(text).SequenceEqual(hf.Ids(text))) differing.Add(text);
            }
            foreach (var text in differing.Take(3)) output.WriteLine($"differs: {Escape(text)}");
            Assert.Empty(differing);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"not base64!\"}", "not base64")]
    [InlineData("{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AAAA\"}", "has no trie")]
    [InlineData("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Nmt\"}]}", "normalizer 'Nmt'")]
    public void BadPrecompiledNormalizersAreRefusedByName(string normalizer, string problem)
    {
        var json = new JsonObject
        {
            ["normalizer"] = JsonNode.Parse(normalizer),
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = true },
            ["model"] = new JsonObject { ["type"] = "Unigram", ["unk_id"] = 0, ["vocab"] = new JsonArray(new JsonArray("<unk>", 0.0)) },
        };
        var path = Path.Combine(Path.GetTempPath(), $"loom-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try { Assert.Contains(problem, Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message); }
        finally { File.Delete(path); }
    }

    private static string Pieces(UnigramTokenizer tokenizer, IEnumerable<int> ids)
    {
        var tokens = tokenizer.Vocabulary.ToDictionary(e => e.Value, e => e.Key);
        return Escape(string.Join("|", ids.Select(id => tokens[id])));
    }

    private static string Escape(string text) =>
        string.Concat(text.Take(300).Select(c => c < ' ' || c is >= '\u007f' and <= '\u00a0' or >= '\u0300' and <= '\u036f' or '\u200b' or '\u200d' or '\ufeff' ? $"\\u{(int)c:x4}" : c.ToString()));
}
