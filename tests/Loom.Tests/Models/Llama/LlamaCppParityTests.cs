using LLama;
using LLama.Common;
using LLama.Native;
using Loom.Formats;
using Loom.Models.Llama;
using Loom.Tensors;

namespace Loom.Tests.Models.Llama;

/// <summary>
/// Loom against llama.cpp (LLamaSharp 0.30.0, CPU backend) on the same random-weight GGUF files that Loom writes:
/// logits of every position of a fixed prompt, F32 KV cache and flash attention off.
/// </summary>
public class LlamaCppParityTests
{
    private static readonly int[] Prompt = [3, 17, 42, 5, 5, 29, 0, 47, 12, 33, 8, 21];

    // llama.cpp refuses a model without a vocabulary: a byte-level BPE vocabulary of single characters.
    private static void AddVocabulary(GgufWriter writer, string architecture)
    {
        string[] tokens = ["Ċ", .. Enumerable.Range(0, RandomLlamaFile.Vocab - 1).Select(i => ((char)(i < 26 ? 'a' + i : 'A' + i - 26)).ToString())];
        writer.AddMetadata("tokenizer.ggml.model", "gpt2");
        writer.AddMetadata("tokenizer.ggml.pre", "default");
        writer.AddMetadata("tokenizer.ggml.tokens", tokens);
        writer.AddMetadata("tokenizer.ggml.merges", Array.Empty<string>());
        writer.AddMetadata("tokenizer.ggml.bos_token_id", 1u);
        writer.AddMetadata("tokenizer.ggml.eos_token_id", 2u);
    }

    private static float[] LlamaCppLogits(string path, int[] tokens, int vocab)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = 64, BatchSize = 64, UBatchSize = 64, Threads = 2, GpuLayerCount = 0,
            FlashAttention = false,
            TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
        var status = context.Decode(batch);
        Assert.Equal(DecodeResult.Ok, status);
        var all = new float[tokens.Length * vocab];
        for (int i = 0; i < tokens.Length; i++) context.NativeHandle.GetLogitsIth(i).CopyTo(all.AsSpan(i * vocab, vocab));
        return all;
    }

    [Theory]
    [InlineData("llama", GgmlType.F32, 1e-4)]
    [InlineData("qwen2", GgmlType.F32, 1e-4)]
    [InlineData("phi3", GgmlType.F32, 1e-4)]
    [InlineData("llama", GgmlType.F16, 1e-3)]
    [InlineData("llama", GgmlType.Q8_0, 2e-2)]
    [InlineData("qwen2", GgmlType.Q4_0, 2e-2)]
    [InlineData("llama-rope-factors", GgmlType.F32, 1e-4)]
    public void Logits_match_llama_cpp(string architecture, GgmlType type, double tolerance)
    {
        bool factors = architecture.EndsWith("-rope-factors", StringComparison.Ordinal);
        architecture = architecture.Replace("-rope-factors", "", StringComparison.Ordinal);
        var file = RandomLlamaFile.Create(architecture, type, seed: architecture.Length * 31 + (int)type, AddVocabulary, factors);
        string path = Path.Combine(Path.GetTempPath(), $"loom-parity-{architecture}-{type}-{Environment.ProcessId}.gguf");
        File.WriteAllBytes(path, file.Bytes);
        try
        {
            float[] reference = LlamaCppLogits(path, Prompt, RandomLlamaFile.Vocab);
            using var gguf = GgufFile.Open(path);
            var model = LlamaModel.FromGguf(gguf);
            var loom = new float[Prompt.Length * model.VocabularySize];
            model.Forward(Prompt, model.CreateCache(32), loom);

            var exact = LlamaReference.Logits(file, Prompt).SelectMany(row => row).ToArray();
            double loomVsLlamaCpp = MaxDifference(loom, reference);
            double loomError = MaxDifference(loom, exact), llamaCppError = MaxDifference(reference, exact);
            string report = $"{architecture} {type}: |Loom − llama.cpp| = {loomVsLlamaCpp:E2}, |Loom − f64| = {loomError:E2}, |llama.cpp − f64| = {llamaCppError:E2}";
            // Loom is never further from the float64 forward pass than llama.cpp is ...
            Assert.True(loomError <= llamaCppError + 1e-5, report);
            // ... and differs from llama.cpp by the tolerance, or (quantised weights, where llama.cpp rounds the
            // activations to F16 / 8-bit blocks and Loom keeps f32) by no more than llama.cpp's own error.
            Assert.True(loomVsLlamaCpp < tolerance || (type != GgmlType.F32 && loomVsLlamaCpp <= llamaCppError + loomError), report);

            // Argmax agrees wherever llama.cpp's top two are further apart than the tolerance.
            int vocab = RandomLlamaFile.Vocab;
            for (int t = 0; t < Prompt.Length; t++)
            {
                var row = reference.AsSpan(t * vocab, vocab).ToArray();
                var sorted = row.OrderDescending().ToArray();
                if (sorted[0] - sorted[1] <= tolerance) continue;
                Assert.Equal(Array.IndexOf(row, sorted[0]), ArgMax(loom.AsSpan(t * vocab, vocab)));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double MaxDifference(float[] a, IReadOnlyList<double> b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    private static double MaxDifference(float[] a, float[] b) => MaxDifference(a, b.Select(v => (double)v).ToArray());

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
