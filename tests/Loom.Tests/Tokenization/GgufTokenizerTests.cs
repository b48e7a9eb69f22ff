using System.Text.Json.Nodes;
using Loom.Formats;
using Loom.Tokenization;

namespace Loom.Tests.Tokenization;

/// <summary>GPT-2's vocabulary stored as llama.cpp stores it (tokenizer.ggml.*) in a GGUF written by Loom's writer.</summary>
public sealed class GgufTokenizerTests
{
    private static GgufWriter Gpt2Gguf(JsonNode json, string model = "gpt2", Action<GgufWriter>? extra = null)
    {
        var vocab = json["model"]!["vocab"]!.AsObject().OrderBy(e => (int)e.Value!).Select(e => e.Key).ToArray();
        var merges = json["model"]!["merges"]!.AsArray().Select(m => (string)m!).ToArray();
        var writer = new GgufWriter()
            .AddMetadata("general.architecture", "gpt2")
            .AddMetadata("tokenizer.ggml.model", model)
            .AddMetadata("tokenizer.ggml.pre", "gpt-2")
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
