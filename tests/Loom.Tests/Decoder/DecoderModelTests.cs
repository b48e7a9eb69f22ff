using Loom.Formats;
using Loom.Models;
using Loom.Models.Decoder;
using Loom.Tensors;
using Xunit.Abstractions;

namespace Loom.Tests.Decoder;

/// <summary>Loading (GGUF and Hugging Face folders), incremental decoding, the inspection hooks and refusals.</summary>
public sealed class DecoderModelTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int[] Prompt = DecoderParityTests.Prompt;
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-decoder-").FullName;

    public static TheoryData<string, bool, bool, bool> HuggingFaceCases() => new()
    {
        // arch, Llama 3 rope scaling, tied output, sharded
        { "llama", true, false, false },
        { "llama", false, true, true },
        { "qwen2", false, false, false },
        { "phi3", false, false, true },
        { "gpt2", false, false, false },
        { "mistral", false, false, false },
    };

    /// <summary>The same weights as GGUF and as config.json + safetensors give the same logits: checks llama.cpp's q/k
    /// permutation against HF's rotate_half order, GPT-2's Conv1D transposition, Phi-3's fused tensors, shards and tying.</summary>
    [Theory]
    [MemberData(nameof(HuggingFaceCases))]
    public void HuggingFaceFolderMatchesGguf(string arch, bool llama3Rope, bool tied, bool sharded)
    {
        var tiny = new TinyDecoder(new TinyDecoderSpec(arch, GgmlType.F32) { Llama3Rope = llama3Rope, TiedOutput = tied, SlidingWindow = arch == "mistral" ? 5 : null });
        string gguf = Path.Combine(_folder, "model.gguf"), hf = Path.Combine(_folder, "hf");
        tiny.WriteGguf(gguf);
        tiny.WriteHuggingFace(hf, sharded);

        var fromGguf = DecoderParityTests.LoomLogits(gguf, Prompt, rounding: ActivationRounding.None);
        var fromHf = DecoderParityTests.LoomLogits(hf, Prompt, rounding: ActivationRounding.None);
        double diff = DecoderParityTests.MaxAbsDiff(fromHf, fromGguf);
        output.WriteLine($"{arch}: |HF folder − GGUF| = {diff:E2}");
        // Llama rotates different (but equivalent) pairs in the two layouts, so f32 sums round differently.
        Assert.True(diff <= 1e-4, $"HF folder and GGUF differ by {diff:E2}");
        Assert.True(DecoderParityTests.MaxAbsDiff(fromHf, ReferenceDecoder.Logits(tiny, Prompt)) <= 1e-4);
    }

    /// <summary>Attention's vector paths (64 columns in registers, 16-column and 8-column tails; keys in pairs with an odd
    /// one left) on every head size the loop shapes can meet, against the float64 reference, over a 31-token prompt.</summary>
    [Theory]
    [InlineData(256, 8)]   // head size 32
    [InlineData(384, 8)]   // 48
    [InlineData(320, 4)]   // 80
    [InlineData(384, 4)]   // 96
    [InlineData(512, 4)]   // 128
    [InlineData(320, 8)]   // 40: 8-column vectors only
    public void AttentionMatchesTheReferenceOnEveryHeadSize(int embedding, int heads)
    {
        var tiny = new TinyDecoder(new TinyDecoderSpec("qwen2", GgmlType.F32) { Embedding = embedding, Heads = heads, Layers = 1 });
        string gguf = Path.Combine(_folder, $"heads-{embedding}-{heads}.gguf");
        tiny.WriteGguf(gguf);
        int[] prompt = [.. Enumerable.Range(0, 31).Select(i => (i * 37 + 11) % 320)];
        var reference = ReferenceDecoder.Logits(tiny, prompt);
        foreach (var path in Enum.GetValues<KernelPath>().Where(Kernels.IsSupported))
        {
            float[][]? logits = null;
            Loom.Tests.Tensors.KernelPathCollection.On(path, () => logits = DecoderParityTests.LoomLogits(gguf, prompt, rounding: ActivationRounding.None));
            double diff = DecoderParityTests.MaxAbsDiff(logits!, reference);
            output.WriteLine($"head size {embedding / heads} on {path}: |Loom − float64| = {diff:E2}");
            Assert.True(diff <= 1e-5, $"head size {embedding / heads} on {path}: {diff:E2}");
        }
    }

    /// <summary>Llama 3.1 frequency scaling (GGUF rope_freqs) against llama.cpp.</summary>
    [Fact]
    public void Llama3RopeScalingMatchesLlamaCpp()
    {
        var tiny = new TinyDecoder(new TinyDecoderSpec("llama", GgmlType.F32) { Llama3Rope = true });
        string gguf = Path.Combine(_folder, "llama3.gguf");
        tiny.WriteGguf(gguf);
        double diff = DecoderParityTests.MaxAbsDiff(DecoderParityTests.LoomLogits(gguf, Prompt), LlamaCpp.Logits(gguf, Prompt));
        output.WriteLine($"llama3 rope: |loom − llama.cpp| = {diff:E2}");
        Assert.True(diff <= 1e-4, $"{diff:E2}");
        // The scaling matters: without it the logits move well beyond the tolerance.
        string plain = Path.Combine(_folder, "plain.gguf");
        new TinyDecoder(new TinyDecoderSpec("llama", GgmlType.F32)).WriteGguf(plain);
        Assert.True(DecoderParityTests.MaxAbsDiff(DecoderParityTests.LoomLogits(plain, Prompt), LlamaCpp.Logits(gguf, Prompt)) > 1e-2);
    }

    /// <summary>The prompt in pieces and then token by token through the KV cache equals one batch; threads do not matter.</summary>
    [Theory]
    [InlineData("qwen2", GgmlType.Q8_0)]
    [InlineData("mistral", GgmlType.F16)]
    [InlineData("gpt2", GgmlType.Q4_K)]
    public void CachedDecodingMatchesOneBatch(string arch, GgmlType type)
    {
        string path = Write(new TinyDecoderSpec(arch, type) { SlidingWindow = arch == "mistral" ? 4 : null });
        var batch = DecoderParityTests.LoomLogits(path, Prompt);
        using var model = DecoderModel.Load(path, new DecoderOptions { Threads = 1 });
        var cache = model.CreateCache(16);
        int v = model.VocabularySize;
        var last = new float[v];
        model.Forward(Prompt.AsSpan(0, 5), cache, last);
        Assert.True(DecoderParityTests.MaxAbsDiff([last], [batch[4]]) <= 1e-5);
        for (int t = 5; t < Prompt.Length; t++)
        {
            model.Forward(Prompt.AsSpan(t, 1), cache, last);
            Assert.True(DecoderParityTests.MaxAbsDiff([last], [batch[t]]) <= 1e-5, $"position {t}");
        }
        Assert.Equal(Prompt, cache.Tokens.ToArray());
    }

    /// <summary>Hidden states per layer, attention per head, and the logit lens on the last layer reproduces the logits.</summary>
    [Fact]
    public void ObserverSeesHiddenStatesAndAttention()
    {
        string path = Write(new TinyDecoderSpec("mistral", GgmlType.F32) { SlidingWindow = 4 });
        using var model = DecoderModel.Load(path);
        var observer = new Recorder();
        var logits = new float[Prompt.Length * model.VocabularySize];
        model.Forward(Prompt, model.CreateCache(16), logits, observer);

        var c = model.Config;
        Assert.Equal((c.Layers + 1) * Prompt.Length, observer.Hidden.Count);
        Assert.Equal(c.Layers * c.Heads * Prompt.Length, observer.Attention.Count);
        foreach (var (layer, head, position, weights) in observer.Attention)
        {
            Assert.Equal(position + 1, weights.Length);
            Assert.Equal(1.0, weights.Sum(), 5);
            Assert.All(weights[..Math.Max(0, position - 3)], w => Assert.Equal(0f, w));   // outside the window of 4
        }
        var lens = new float[model.VocabularySize];
        var top = observer.Hidden.Single(h => h.Layer == c.Layers - 1 && h.Position == Prompt.Length - 1).State;
        model.ProjectToVocabulary(top, lens);
        Assert.True(DecoderParityTests.MaxAbsDiff([lens], [logits[^model.VocabularySize..]]) <= 1e-5);
    }

    [Fact]
    public void RefusesBadModelsAndRequests()
    {
        // Unsupported architecture, named.
        string mamba = Path.Combine(_folder, "mamba.gguf");
        new GgufWriter().AddMetadata("general.architecture", "mamba").Write(mamba);
        Assert.Contains("mamba", Assert.Throws<ModelFormatException>(() => DecoderModel.Load(mamba)).Message);

        // A layer count far beyond the tensors: refused before anything is allocated for it.
        string hollow = Path.Combine(_folder, "hollow.gguf");
        new GgufWriter().AddMetadata("general.architecture", "llama").AddMetadata("llama.block_count", 2_000_000_000u)
            .AddMetadata("llama.context_length", 64u).AddMetadata("llama.embedding_length", 64u).AddMetadata("llama.feed_forward_length", 64u)
            .AddMetadata("llama.attention.head_count", 4u).AddMetadata("llama.vocab_size", 10u).Write(hollow);
        Assert.Contains("2000000000 layers", Assert.Throws<ModelFormatException>(() => DecoderModel.Load(hollow)).Message);

        // A tensor whose shape does not match the declared architecture, named.
        var spec = new TinyDecoderSpec("llama", GgmlType.F32) { Embedding = 256, Heads = 8 };
        string path = Write(spec);
        var file = File.ReadAllBytes(path);
        var lying = Path.Combine(_folder, "lying.gguf");
        using (var gguf = GgufFile.Open(path))
        {
            var writer = new GgufWriter();
            foreach (var (key, value) in gguf.Metadata) writer.AddMetadata(key, key == "llama.feed_forward_length" ? GgufValue.From(256u) : value);
            foreach (var t in gguf.Tensors) writer.AddTensor(t.Name, t.Type, t.Dimensions.ToArray(), gguf.GetData(t).ToArray());
            writer.Write(lying);
        }
        var error = Assert.Throws<ModelFormatException>(() => DecoderModel.Load(lying));
        Assert.Contains("ffn_gate.weight", error.Message);

        // Truncated file.
        string truncated = Path.Combine(_folder, "truncated.gguf");
        File.WriteAllBytes(truncated, file[..(file.Length / 2)]);
        Assert.Throws<ModelFormatException>(() => DecoderModel.Load(truncated));

        // Context overflow, out-of-vocabulary token, wrong logits length.
        using var model = DecoderModel.Load(path);
        var cache = model.CreateCache(4);
        var logits = new float[model.VocabularySize];
        Assert.Throws<ContextOverflowException>(() => model.Forward(Prompt, cache, logits));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([model.VocabularySize], cache, logits));
        Assert.Throws<ArgumentException>(() => model.Forward([1, 2], cache, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateCache(model.ContextLength + 1));
        Assert.Equal(0, cache.Length);
    }

    private string Write(TinyDecoderSpec spec)
    {
        string path = Path.Combine(_folder, $"{spec.Arch}-{spec.Type}-{Guid.NewGuid():N}.gguf");
        new TinyDecoder(spec).WriteGguf(path);
        return path;
    }

    private sealed class Recorder : IForwardObserver
    {
        public List<(int Layer, int Position, float[] State)> Hidden { get; } = [];
        public List<(int Layer, int Head, int Position, float[] Weights)> Attention { get; } = [];
        public void OnHiddenState(int layer, int position, ReadOnlySpan<float> hidden) => Hidden.Add((layer, position, hidden.ToArray()));
        public void OnAttention(int layer, int head, int position, ReadOnlySpan<float> weights) => Attention.Add((layer, head, position, weights.ToArray()));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
