using LLama;
using LLama.Common;
using LLama.Native;
using Loom.Formats;
using Loom.Models.Gpt2;
using Loom.Tensors;

namespace Loom.Tests.Models.Gpt2;

/// <summary>GPT-2 from a random-weight GGUF written by Loom: against a float64 reference and against llama.cpp.</summary>
public class Gpt2ModelTests
{
    private const int Vocab = 40, Width = 64, Heads = 4, FeedForward = 128, Layers = 2, Context = 32;
    private const float Epsilon = 1e-5f;
    private static readonly int[] Prompt = [1, 7, 33, 2, 2, 19, 38, 0, 11];

    private sealed record Block(double[] N1, double[] N1b, double[][] Qkv, double[] QkvB, double[][] O, double[] Ob,
        double[] N2, double[] N2b, double[][] Up, double[] UpB, double[][] Down, double[] DownB);

    private sealed record Weights(byte[] File, double[][] Tokens, double[][] Positions, Block[] Blocks, double[] Nf, double[] Nfb, double[][] Output);

    private static Weights Create(GgmlType type, int seed)
    {
        var random = new Random(seed);
        var w = new GgufWriter();
        w.AddMetadata("general.architecture", "gpt2");
        w.AddMetadata("gpt2.context_length", (uint)Context);
        w.AddMetadata("gpt2.embedding_length", (uint)Width);
        w.AddMetadata("gpt2.feed_forward_length", (uint)FeedForward);
        w.AddMetadata("gpt2.block_count", (uint)Layers);
        w.AddMetadata("gpt2.attention.head_count", (uint)Heads);
        w.AddMetadata("gpt2.attention.layer_norm_epsilon", Epsilon);
        w.AddMetadata("tokenizer.ggml.model", "gpt2");
        w.AddMetadata("tokenizer.ggml.tokens", Enumerable.Range(0, Vocab).Select(i => ((char)('A' + i)).ToString()).ToArray());
        w.AddMetadata("tokenizer.ggml.merges", Array.Empty<string>());

        float[] Random(int count, double scale, double center = 0) => Enumerable.Range(0, count).Select(_ => (float)(center + (random.NextDouble() * 2 - 1) * scale)).ToArray();
        double[][] Matrix(string name, int rows, int cols, double scale, GgmlType t)
        {
            var bytes = Quantization.Quantize(t, Random(rows * cols, scale));
            w.AddTensor(name, t, [cols, rows], bytes);
            var back = new float[rows * cols];
            Quantization.Dequantize(t, bytes, back);
            return Enumerable.Range(0, rows).Select(r => back.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray()).ToArray();
        }
        double[] Vector(string name, int length, double scale, double center = 0)
        {
            var values = Random(length, scale, center);
            w.AddTensor(name, values, length);
            return values.Select(v => (double)v).ToArray();
        }

        var tokens = Matrix("token_embd.weight", Vocab, Width, 1, type);
        var positions = Matrix("position_embd.weight", Context, Width, 0.5, GgmlType.F32);
        var blocks = Enumerable.Range(0, Layers).Select(l =>
        {
            string p = $"blk.{l}.";
            return new Block(Vector(p + "attn_norm.weight", Width, 0.2, 1), Vector(p + "attn_norm.bias", Width, 0.2),
                Matrix(p + "attn_qkv.weight", 3 * Width, Width, 0.3, type), Vector(p + "attn_qkv.bias", 3 * Width, 0.2),
                Matrix(p + "attn_output.weight", Width, Width, 0.2, type), Vector(p + "attn_output.bias", Width, 0.2),
                Vector(p + "ffn_norm.weight", Width, 0.2, 1), Vector(p + "ffn_norm.bias", Width, 0.2),
                Matrix(p + "ffn_up.weight", FeedForward, Width, 0.3, type), Vector(p + "ffn_up.bias", FeedForward, 0.2),
                Matrix(p + "ffn_down.weight", Width, FeedForward, 0.2, type), Vector(p + "ffn_down.bias", Width, 0.2));
        }).ToArray();
        var nf = Vector("output_norm.weight", Width, 0.2, 1);
        var nfb = Vector("output_norm.bias", Width, 0.2);
        var output = Matrix("output.weight", Vocab, Width, 0.3, type);
        using var stream = new MemoryStream();
        w.Write(stream);
        return new Weights(stream.ToArray(), tokens, positions, blocks, nf, nfb, output);
    }

    /// <summary>GPT-2 in float64, written from the paper / nanoGPT, sharing no code with Loom.</summary>
    private static double[][] Reference(Weights w, int[] tokens)
    {
        const int hs = Width / Heads;
        int n = tokens.Length;
        var x = tokens.Select((t, i) => w.Tokens[t].Zip(w.Positions[i], (a, b) => a + b).ToArray()).ToArray();
        foreach (var b in w.Blocks)
        {
            var qkv = x.Select(r => Add(MatVec(b.Qkv, Norm(r, b.N1, b.N1b)), b.QkvB)).ToArray();
            var mixed = new double[n][];
            for (int t = 0; t < n; t++)
            {
                mixed[t] = new double[Width];
                for (int h = 0; h < Heads; h++)
                {
                    var s = Enumerable.Range(0, t + 1).Select(p => Enumerable.Range(0, hs).Sum(i => qkv[t][h * hs + i] * qkv[p][Width + h * hs + i]) / Math.Sqrt(hs)).ToArray();
                    double max = s.Max(), z = s.Sum(v => Math.Exp(v - max));
                    for (int p = 0; p <= t; p++)
                        for (int i = 0; i < hs; i++) mixed[t][h * hs + i] += Math.Exp(s[p] - max) / z * qkv[p][2 * Width + h * hs + i];
                }
            }
            for (int t = 0; t < n; t++)
            {
                x[t] = Add(x[t], Add(MatVec(b.O, mixed[t]), b.Ob));
                var hidden = Add(MatVec(b.Up, Norm(x[t], b.N2, b.N2b)), b.UpB)
                    .Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))).ToArray();
                x[t] = Add(x[t], Add(MatVec(b.Down, hidden), b.DownB));
            }
        }
        return x.Select(r => MatVec(w.Output, Norm(r, w.Nf, w.Nfb))).ToArray();
    }

    private static double[] Norm(double[] x, double[] g, double[] b)
    {
        double mean = x.Average(), variance = x.Sum(v => (v - mean) * (v - mean)) / x.Length;
        return x.Select((v, i) => (v - mean) / Math.Sqrt(variance + Epsilon) * g[i] + b[i]).ToArray();
    }

    private static double[] MatVec(double[][] m, double[] x) => m.Select(r => r.Select((v, i) => v * x[i]).Sum()).ToArray();

    private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    private static float[] Loom(byte[] file, int[] tokens)
    {
        using var gguf = GgufFile.Read(file);
        var model = Gpt2Model.FromGguf(gguf);
        var logits = new float[tokens.Length * model.VocabularySize];
        model.Forward(tokens, model.CreateCache(Context), logits);
        return logits;
    }

    private static double MaxDifference(float[] a, double[][] b) => b.SelectMany(r => r).Select((v, i) => Math.Abs(v - a[i])).Max();

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.Q8_0)]
    public void Logits_match_a_float64_reference(GgmlType type)
    {
        var weights = Create(type, 5);
        var expected = Reference(weights, Prompt);
        double difference = MaxDifference(Loom(weights.File, Prompt), expected);
        Assert.True(expected.SelectMany(r => r).Select(Math.Abs).Average() > 0.3);
        Assert.True(difference < 1e-4, $"max |Δlogit| = {difference:E2}");
    }

    [Fact]
    public void Decoding_with_the_cache_matches_the_batch()
    {
        var weights = Create(GgmlType.F32, 6);
        float[] batch = Loom(weights.File, Prompt);
        using var gguf = GgufFile.Read(weights.File);
        var model = Gpt2Model.FromGguf(gguf);
        var cache = model.CreateCache(Context);
        var step = new float[Vocab];
        for (int t = 0; t < Prompt.Length; t++)
        {
            model.Forward(Prompt.AsSpan(t, 1), cache, step);
            for (int v = 0; v < Vocab; v++) Assert.Equal(batch[t * Vocab + v], step[v], 1e-5);
        }
    }

    /// <summary>
    /// llama.cpp evaluates GELU through a table of F16 inputs, so its GPT-2 logits carry that rounding even with
    /// F32 weights; Loom computes GELU-tanh in f32. The bound says Loom is closer to the float64 reference than
    /// llama.cpp, and differs from llama.cpp by no more than llama.cpp's own error (plus Loom's).
    /// </summary>
    [Fact]
    public void Logits_agree_with_llama_cpp()
    {
        var weights = Create(GgmlType.F32, 8);
        string path = Path.Combine(Path.GetTempPath(), $"loom-gpt2-{Environment.ProcessId}.gguf");
        File.WriteAllBytes(path, weights.File);
        try
        {
            var parameters = new ModelParams(path)
            {
                ContextSize = Context, BatchSize = Context, UBatchSize = Context, Threads = 2, GpuLayerCount = 0, FlashAttention = false,
                TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32,
            };
            using var model = LLamaWeights.LoadFromFile(parameters);
            using var context = model.CreateContext(parameters);
            var batch = new LLamaBatch();
            for (int i = 0; i < Prompt.Length; i++) batch.Add(Prompt[i], i, LLamaSeqId.Zero, true);
            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            var reference = new float[Prompt.Length * Vocab];
            for (int i = 0; i < Prompt.Length; i++) context.NativeHandle.GetLogitsIth(i).CopyTo(reference.AsSpan(i * Vocab, Vocab));

            var exact = Reference(weights, Prompt);
            float[] loom = Loom(weights.File, Prompt);
            double loomVsLlamaCpp = loom.Select((v, i) => Math.Abs(v - reference[i])).Max();
            double loomError = MaxDifference(loom, exact), llamaCppError = MaxDifference(reference, exact);
            string report = $"|Loom − llama.cpp| = {loomVsLlamaCpp:E2}, |Loom − f64| = {loomError:E2}, |llama.cpp − f64| = {llamaCppError:E2}";
            Assert.True(loomError <= llamaCppError + 1e-5, report);
            Assert.True(loomVsLlamaCpp < 1e-4 || loomVsLlamaCpp <= llamaCppError + loomError, report);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Wrong_architecture_and_missing_tensors_are_named()
    {
        var weights = Create(GgmlType.F32, 9);
        var bytes = (byte[])weights.File.Clone();
        int at = bytes.AsSpan().IndexOf("position_embd.weight"u8);
        bytes[at] = (byte)'P'; // rename the tensor
        var ex = Assert.Throws<ModelFormatException>(() => Gpt2Model.FromGguf(GgufFile.Read(bytes)));
        Assert.Contains("position_embd.weight", ex.Message);
    }
}
