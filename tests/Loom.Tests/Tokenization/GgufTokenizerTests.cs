using System.Text.Json.Nodes;
using Loom.Formats;
using Loom.Tokenization;

namespace Loom.Tests.Tokenization;

/// <summary>GPT-2's vocabulary stored as llama.cpp stores it (tokenizer.ggml.*) in a GGUF written by Loom's writer.</summary>
public sealed class GgufTokenizerTests
{
    private static GgufWriter Gpt2Gguf(JsonNode json, string model = "gpt2", Action<GgufWriter>? extra = null, string pre = "gpt-2", string architecture = "gpt2")
    {
        var vocab = json["model"]!["vocab"]!.AsObject().OrderBy(e => (int)e.Value!).Select(e => e.Key).ToArray();
        var merges = json["model"]!["merges"]!.AsArray().Select(m => (string)m!).ToArray();
        var writer = new GgufWriter()
            .AddMetadata("general.architecture", architecture)
            .AddMetadata("tokenizer.ggml.model", model)
            .AddMetadata("tokenizer.ggml.pre", pre)
            .AddMetadata("tokenizer.ggml.tokens", vocab)
            .AddMetadata("tokenizer.ggml.merges", merges)
            .AddMetadata("tokenizer.ggml.token_type", vocab.Select(t => t == "<|endoftext|>" ? 3 : 1).ToArray())
            .AddMetadata("tokenizer.ggml.eos_token_id", (uint)Array.IndexOf(vocab, "<|endoftext|>"));
        extra?.Invoke(writer);
        return writer;
    }

    private static T WithFile<T>(GgufWriter writer, Func<string, T> use)
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-tok-{Guid.NewGuid():N}.gguf");
        writer.Write(path);
        try { return use(path); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Gpt2VocabularyInGgufEncodesAsHuggingFace()
    {
        var json = Gpt2TokenizerJson.Build();
        var hf = HuggingFaceReference.Load(json);
        WithFile(Gpt2Gguf(json), path =>
        {
            var loom = TokenizerResolver.Resolve(path);
            foreach (var text in Fortunes.Entries.Take(3000).Concat(BertWordPieceParityTests.HardCases).Append("end<|endoftext|>"))
                Assert.Equal(hf.Ids(text), loom.EncodeToIds(text));
            return 0;
        });
    }

    /// <summary>The same vocabulary under each supported tokenizer.ggml.pre, against llama.cpp's own pre-tokenizers.</summary>
    [Theory]
    [InlineData("gpt-2", 3000)]
    [InlineData("llama-bpe", int.MaxValue)]
    [InlineData("qwen2", 3000)]
    public void Gpt2VocabularyInGgufEncodesAsLlamaCpp(string pre, int fortunes)
    {
        var json = Gpt2TokenizerJson.Build();
        var texts = Fortunes.Entries.Take(fortunes).Concat(BertWordPieceParityTests.HardCases).ToArray();
        var (llama, loom) = WithFile(Gpt2Gguf(json, pre: pre, architecture: "llama", extra: w => w
            .AddMetadata("tokenizer.ggml.add_bos_token", false)
            .AddMetadata("llama.context_length", 64u)
            .AddMetadata("llama.embedding_length", 64u)
            .AddMetadata("llama.block_count", 1u)
            .AddMetadata("llama.feed_forward_length", 128u)
            .AddMetadata("llama.attention.head_count", 4u)
            .AddMetadata("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .AddMetadata("llama.rope.dimension_count", 16u)), path =>
        {
            var tokenizer = TokenizerResolver.Resolve(path);
            return (Decoder.LlamaCpp.Tokenize(path, texts).Ids, texts.Select(t => tokenizer.EncodeToIds(t).ToArray()).ToArray());
        });
        var differing = Enumerable.Range(0, texts.Length).Where(i => !llama[i].SequenceEqual(loom[i])).ToList();
        Assert.True(differing.Count == 0, $"{differing.Count} of {texts.Length} differ; first: {differing.Select(i => texts[i]).FirstOrDefault()}");
    }

    [Fact]
    public void UnsupportedOrInconsistentTokenizersAreRefusedByName()
    {
        var json = Gpt2TokenizerJson.Build();
        Assert.Contains("'t5' is not supported",
            WithFile(Gpt2Gguf(json, "t5"), p => Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(p))).Message);
        var badMerge = new GgufWriter()
            .AddMetadata("tokenizer.ggml.model", "gpt2")
            .AddMetadata("tokenizer.ggml.tokens", new[] { "a", "b", "ab" })
            .AddMetadata("tokenizer.ggml.merges", new[] { "a b", "ab zz" });
        Assert.Contains("not in the vocabulary", WithFile(badMerge, p => Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(p))).Message);
        var badTypes = new GgufWriter()
            .AddMetadata("tokenizer.ggml.model", "gpt2")
            .AddMetadata("tokenizer.ggml.tokens", new[] { "a", "b", "ab" })
            .AddMetadata("tokenizer.ggml.merges", new[] { "a b" })
            .AddMetadata("tokenizer.ggml.token_type", new[] { 1 });
        Assert.Contains("token_type", WithFile(badTypes, p => Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(p))).Message);
        var duplicate = new GgufWriter()
            .AddMetadata("tokenizer.ggml.model", "gpt2")
            .AddMetadata("tokenizer.ggml.tokens", new[] { "a", "a" })
            .AddMetadata("tokenizer.ggml.merges", Array.Empty<string>());
        Assert.Contains("twice", WithFile(duplicate, p => Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(p))).Message);
        var noTokenizer = new GgufWriter().AddMetadata("general.architecture", "gpt2");
        Assert.Contains("tokenizer.ggml.model", WithFile(noTokenizer, p => Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(p))).Message);
    }
}
