using System.Text.Json.Nodes;
using Loom.Formats;
using Loom.Tokenization;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>Byte-level BPE tokenizer.json files read by Loom against HF tokenizers reading the same file.</summary>
public sealed class ByteLevelBpeParityTests(ITestOutputHelper output)
{
    // Llama 3's pre-tokenizer regex (also cl100k's), as a Split stage before ByteLevel.
    private const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static (Tokenizer Loom, Tokenizers.DotNet.Tokenizer Hf) Load(JsonNode json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-bpe-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try { return (TokenizerResolver.Resolve(path), HuggingFaceReference.Load(json)); }
        finally { File.Delete(path); }
    }

    private static readonly Lazy<(Tokenizer Loom, Tokenizers.DotNet.Tokenizer Hf)> Gpt2 = new(() => Load(Gpt2TokenizerJson.Build()));

    private static IEnumerable<string> Texts => Fortunes.Entries.Concat(BertWordPieceParityTests.HardCases);

    [Fact]
    public void Gpt2TokenizerJsonEncodesAsHuggingFaceOnAllFortunes()
    {
        var (loom, hf) = Gpt2.Value;
        var differing = Texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
        output.WriteLine($"{differing.Count} of {Texts.Count()} differ");
        Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
    }

    [Fact]
    public void Gpt2TokenizerJsonMatchesTheTiktokenData()
    {
        // The converted file is GPT-2: same ids as ML.Tokenizers' tiktoken gpt2 (special tokens aside).
        var (loom, _) = Gpt2.Value;
        var tiktoken = TiktokenTokenizer.CreateForModel("gpt2");
        foreach (var text in Texts.Take(4000).Where(t => !t.Contains("<|endoftext|>")))
            Assert.Equal(tiktoken.EncodeToIds(text), loom.EncodeToIds(text));
    }

    [Fact]
    public void Gpt2TokenizerJsonRoundTripsAndItsTokenViewsCoverTheText()
    {
        var (loom, _) = Gpt2.Value;
        foreach (var text in Texts) Assert.Equal(text, loom.Decode(loom.EncodeToIds(text)));
        foreach (var text in Texts.Take(300)) Assert.Equal(text, string.Concat(TokenView.Of(loom, text).Select(v => v.Text)));
    }

    [Fact]
    public void SplitRegexThenByteLevelEncodesAsHuggingFace()
    {
        var (loom, hf) = Load(Gpt2TokenizerJson.Build(Llama3Pattern));
        var differing = Texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
        output.WriteLine($"{differing.Count} of {Texts.Count()} differ");
        Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
    }

    /// <summary>
    /// Llama 3's ignore_merges: GPT-2's file with the Llama 3 regex plus 3000 frequent fortunes pre-tokens added to the
    /// vocabulary without merges, which only ignore_merges can emit whole.
    /// </summary>
    [Fact]
    public void IgnoreMergesEncodesAsHuggingFace()
    {
        var json = Gpt2TokenizerJson.Build(Llama3Pattern).DeepClone();
        var vocab = json["model"]!["vocab"]!.AsObject();
        var regex = new System.Text.RegularExpressions.Regex(Llama3Pattern);
        var words = Fortunes.Entries.Take(4000).SelectMany(e => regex.Matches(e).Select(m => ByteLevel.Encode(m.ValueSpan)))
            .Where(w => !vocab.ContainsKey(w)).CountBy(w => w).OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(3000);
        int next = vocab.Count;
        foreach (var (word, _) in words) vocab[word] = next++;
        json["model"]!["ignore_merges"] = true;
        var (loom, hf) = Load(json);
        var texts = Texts.ToList();
        var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
        output.WriteLine($"{differing.Count} of {texts.Count} differ");
        Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
        // The added words matter: without ignore_merges most entries encode differently.
        json["model"]!["ignore_merges"] = false;
        var (plain, _) = Load(json);
        Assert.True(texts.Take(2000).Count(t => !plain.EncodeToIds(t).SequenceEqual(loom.EncodeToIds(t))) > 1000);
        foreach (var text in texts) Assert.Equal(text, loom.Decode(loom.EncodeToIds(text)));
    }

    [Theory]
    [InlineData("merges", "[\"a zz\"]", "not in the vocabulary")]
    [InlineData("merges", "[\"a\"]", "not two tokens")]
    [InlineData("byte_fallback", "true", "SentencePiece-style")]
    [InlineData("vocab", "{\"a\": 0, \"b\": 5}", "out of range")]
    public void BadBpeFilesAreRefusedByName(string field, string value, string problem)
    {
        var json = new JsonObject
        {
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = new JsonObject { ["a"] = 0, ["b"] = 1, ["ab"] = 2 }, ["merges"] = new JsonArray("a b") },
        };
        json["model"]![field] = JsonNode.Parse(value);
        var path = Path.Combine(Path.GetTempPath(), $"loom-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        try { Assert.Contains(problem, Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message); }
        finally { File.Delete(path); }
    }
}
