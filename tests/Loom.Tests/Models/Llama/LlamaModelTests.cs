using Loom.Formats;
using Loom.Models;
using Loom.Models.Llama;
using Loom.Tensors;

namespace Loom.Tests.Models.Llama;

public class LlamaModelTests
{
    private static readonly int[] Prompt = [3, 17, 42, 5, 5, 29, 0, 47, 12, 33, 8, 21];

    private static float[] AllLogits(LlamaModel model, int[] tokens)
    {
        var logits = new float[tokens.Length * model.VocabularySize];
        model.Forward(tokens, model.CreateCache(32), logits);
        return logits;
    }

    private static double MaxDifference(float[] actual, double[][] expected) =>
        expected.SelectMany((row, t) => row.Select((v, i) => Math.Abs(v - actual[t * row.Length + i]))).Max();

    /// <summary>
    /// The reference runs on the weights as the file stores them (dequantised), so the tolerance measures the
    /// engine alone: Loom keeps activations in f32 for every weight type (measured: ≤ 4e-6 here).
    /// </summary>
    [Theory]
    [InlineData("llama", GgmlType.F32, 1e-4)]
    [InlineData("qwen2", GgmlType.F32, 1e-4)]
    [InlineData("phi3", GgmlType.F32, 1e-4)]
    [InlineData("llama", GgmlType.F16, 1e-4)]
    [InlineData("llama", GgmlType.Q8_0, 1e-4)]
    [InlineData("qwen2", GgmlType.Q4_0, 1e-4)]
    public void Logits_of_every_position_match_a_float64_reference(string architecture, GgmlType type, double tolerance)
    {
        var file = RandomLlamaFile.Create(architecture, type, seed: architecture.Length * 31 + (int)type);
        using var gguf = GgufFile.Read(file.Bytes, architecture);
        var model = LlamaModel.FromGguf(gguf);
        var expected = LlamaReference.Logits(file, Prompt);

        double difference = MaxDifference(AllLogits(model, Prompt), expected);
        double magnitude = expected.SelectMany(r => r).Select(Math.Abs).Average();
        Assert.True(magnitude > 0.3, $"logits too small to mean anything: {magnitude}");
        Assert.True(difference < tolerance, $"{architecture} {type}: max |Δlogit| = {difference:E2} (mean |logit| {magnitude:F2})");
    }

    [Fact]
    public void Llama_3_rope_frequency_factors_are_applied()
    {
        var file = RandomLlamaFile.Create("llama", GgmlType.F32, seed: 21, ropeFactors: true);
        using var gguf = GgufFile.Read(file.Bytes);
        var expected = LlamaReference.Logits(file, Prompt);
        Assert.True(MaxDifference(AllLogits(LlamaModel.FromGguf(gguf), Prompt), expected) < 1e-4);
        // The factors matter: the same weights without them give other logits.
        var without = LlamaReference.Logits(file with { RopeFactors = null }, Prompt);
        Assert.True(expected.Zip(without).Max(p => p.First.Zip(p.Second).Max(v => Math.Abs(v.First - v.Second))) > 1e-2);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("phi3")]
    public void Decoding_with_the_cache_matches_the_batch(string architecture)
    {
        var file = RandomLlamaFile.Create(architecture, GgmlType.F32, seed: 7);
        using var gguf = GgufFile.Read(file.Bytes);
        var model = LlamaModel.FromGguf(gguf);
        float[] batch = AllLogits(model, Prompt);

        var cache = model.CreateCache(32);
        var step = new float[model.VocabularySize];
        model.Forward(Prompt.AsSpan(0, 5), cache, step);
        AssertClose(batch.AsSpan(4 * model.VocabularySize, model.VocabularySize), step);
        for (int t = 5; t < Prompt.Length; t++)
        {
            model.Forward(Prompt.AsSpan(t, 1), cache, step);
            AssertClose(batch.AsSpan(t * model.VocabularySize, model.VocabularySize), step);
        }
        Assert.Equal(Prompt, cache.Tokens.ToArray());
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"logit {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void Observer_sees_every_layer_and_head()
    {
        var file = RandomLlamaFile.Create("llama", GgmlType.F32, seed: 3);
        using var gguf = GgufFile.Read(file.Bytes);
        var model = LlamaModel.FromGguf(gguf);
        var observer = new CountingObserver();
        model.Forward(Prompt.AsSpan(0, 4), model.CreateCache(8), new float[model.VocabularySize], observer);

        Assert.Equal((RandomLlamaFile.Layers + 1) * 4, observer.HiddenStates);
        Assert.Equal(RandomLlamaFile.Layers * RandomLlamaFile.Heads * 4, observer.AttentionRows);
        Assert.True(observer.AttentionSumsToOne);
    }

    private sealed class CountingObserver : IForwardObserver
    {
        public int HiddenStates, AttentionRows;
        public bool AttentionSumsToOne = true;
        public void OnHiddenState(int layer, int position, ReadOnlySpan<float> hidden) => HiddenStates++;
        public void OnAttention(int layer, int head, int position, ReadOnlySpan<float> weights)
        {
            AttentionRows++;
            float sum = 0;
            foreach (float w in weights) sum += w;
            AttentionSumsToOne &= weights.Length == position + 1 && Math.Abs(sum - 1) < 1e-5;
        }
    }

    [Fact]
    public void Bad_files_and_requests_give_clear_errors()
    {
        var unsupported = RandomLlamaFile.Create("gptj", GgmlType.F32, 1);
        var ex = Assert.Throws<ModelFormatException>(() => LlamaModel.FromGguf(GgufFile.Read(unsupported.Bytes)));
        Assert.Contains("gptj", ex.Message);

        // Metadata promising a third layer whose tensors are absent: the missing tensor is named.
        var twoLayers = RandomLlamaFile.Create("llama", GgmlType.F32, 1);
        var missingLayer = Assert.Throws<ModelFormatException>(() => LlamaModel.FromGguf(GgufFile.Read(Tamper(twoLayers.Bytes, "llama.block_count", 2, 3))));
        Assert.Contains("blk.2.", missingLayer.Message);

        // A tensor of the wrong shape is named with its shape.
        var reshaped = Assert.Throws<ModelFormatException>(() => LlamaModel.FromGguf(GgufFile.Read(Tamper(twoLayers.Bytes, "llama.feed_forward_length", 96, 64))));
        Assert.Contains("blk.0.ffn_gate.weight", reshaped.Message);

        var file = RandomLlamaFile.Create("llama", GgmlType.F32, 1);
        using var gguf = GgufFile.Read(file.Bytes);
        var model = LlamaModel.FromGguf(gguf);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateCache(RandomLlamaFile.Context + 1));
        var cache = model.CreateCache(4);
        Assert.Throws<ContextOverflowException>(() => model.Forward(Prompt.AsSpan(0, 5), cache, new float[model.VocabularySize]));
        Assert.Throws<ArgumentException>(() => model.Forward([RandomLlamaFile.Vocab], cache, new float[model.VocabularySize]));
    }

    // Rewrites a u32 metadata value in place (the key is followed by its u32 type tag, then the value).
    private static byte[] Tamper(byte[] bytes, string key, uint expected, uint replacement)
    {
        var copy = (byte[])bytes.Clone();
        byte[] name = System.Text.Encoding.UTF8.GetBytes(key);
        int value = copy.AsSpan().IndexOf(name) + name.Length + 4;
        Assert.Equal(expected, BitConverter.ToUInt32(copy, value));
        BitConverter.GetBytes(replacement).CopyTo(copy, value);
        return copy;
    }
}
