using System.Text;
using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>
/// Qwen2-style tokenizer.json (NFC normalizer, Split regex, ByteLevel) read by Loom against HF tokenizers reading the
/// same file: byte-level ids expose any difference in the normalised text.
/// </summary>
public sealed class NfcParityTests(ITestOutputHelper output)
{
    private const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    [Fact]
    public void NfcNormalizerEncodesAsHuggingFace()
    {
        var json = Gpt2TokenizerJson.Build(Qwen2Pattern).DeepClone();
        json["normalizer"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "NFC" };
        var path = Path.Combine(Path.GetTempPath(), $"loom-nfc-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        Microsoft.ML.Tokenizers.Tokenizer loom;
        try { loom = TokenizerResolver.Resolve(path); }
        finally { File.Delete(path); }
        var hf = HuggingFaceReference.Load(json);

        // Every code point of the BMP and plane 1, and the CJK compatibility ideographs, each followed by marks that must be
        // reordered (dot below, class 220, after acute, 230) and may compose, and preceded by a letter it may join.
        var texts = new List<string>(Fortunes.Entries.Take(3000));
        var chunk = new StringBuilder();
        foreach (int cp in Enumerable.Range(0xA0, 0x20000 - 0xA0).Concat(Enumerable.Range(0x2F800, 0x220)))
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            chunk.Append(" e").Append(char.ConvertFromUtf32(cp)).Append("\u0301\u0323");
            if (chunk.Length > 600) { texts.Add(chunk.ToString()); chunk.Clear(); }
        }
        texts.Add(chunk.ToString());
        texts.AddRange([
            "\u1100\u1161\u11A8 \uAC00\u11A8 \u1100\u1161 \u1112\u1175\u11C2x", "A\u030A \u212B \u0958 e\u0302\u0323 o\u031B\u0303",
            "\u0041\u0300\u0300\u0316 a\u05B0\u05B1\u0591", "\u0F73 \u0F71\u0F72 \u1E0B\u0323 \u1E9B\u0323", "a\u0308\u0301\u0332",
            "a<|endoftext|>\u0338b e\u0301<|endoftext|>e\u0301", // added tokens are matched before normalising
        ]);
        var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
        output.WriteLine($"{differing.Count} of {texts.Count} texts differ");
        // Name the code points: each " e<c>◌́◌̣" of the differing texts on its own.
        var culprits = differing.SelectMany(t => t.Split(' ')).Where(w => w.Length > 0 && !loom.EncodeToIds(" " + w).SequenceEqual(hf.Ids(" " + w)))
            .Select(w => string.Join(" ", w.EnumerateRunes().Select(r => r.Value.ToString("X4")))).ToList();
        Assert.True(differing.Count == 0, $"{culprits.Count} differ on their own: {string.Join("; ", culprits.Take(40))}");
    }

    [Theory]
    [InlineData("NFKC", false)]
    [InlineData("NFC", true)]
    public void OtherNormalizersAreRefusedByName(string normalizer, bool ignoreMerges)
    {
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["normalizer"] = new System.Text.Json.Nodes.JsonObject { ["type"] = normalizer },
            ["pre_tokenizer"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new System.Text.Json.Nodes.JsonObject
            {
                ["type"] = "BPE", ["ignore_merges"] = ignoreMerges,
                ["vocab"] = new System.Text.Json.Nodes.JsonObject { ["a"] = 0, ["b"] = 1, ["ab"] = 2 }, ["merges"] = new System.Text.Json.Nodes.JsonArray("a b"),
            },
        };
        var path = Path.Combine(Path.GetTempPath(), $"loom-nfc-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try { Assert.Contains($"normalizer '{normalizer}'", Assert.Throws<Loom.Formats.ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message); }
        finally { File.Delete(path); }
    }
}
