using Loom.Formats;
using Loom.Tensors;

namespace Loom.Tests.Models.Llama;

/// <summary>
/// A small random-weight Llama-family GGUF written with Loom's GgufWriter, plus the weights as the model will
/// see them (after quantisation round-trip) for the float64 reference.
/// </summary>
internal sealed record RandomLlamaFile
{
    public const int Vocab = 48, Width = 64, Heads = 4, KvHeads = 2, HeadSize = 16, FeedForward = 96, Layers = 2, Context = 64;
    public const int KvWidth = KvHeads * HeadSize;
    public const float Epsilon = 1e-5f;
    public const double Theta = 10000;

    public required string Architecture { get; init; }
    public required byte[] Bytes { get; init; }
    public required double[][] Embedding { get; init; }
    public required double[][] Output { get; init; }
    public required double[] OutputNorm { get; init; }
    public required LayerWeights[] Blocks { get; init; }

    /// <summary>Llama 3.1-style per-pair divisors of the rotary frequencies (<c>rope_freqs.weight</c>), or null.</summary>
    public double[]? RopeFactors { get; init; }

    public sealed record LayerWeights(double[] AttentionNorm, double[][] Q, double[][] K, double[][] V, double[]? QBias, double[]? KBias, double[]? VBias,
        double[][] O, double[] FeedForwardNorm, double[][] Gate, double[][] Up, double[][] Down);

    public static RandomLlamaFile Create(string architecture, GgmlType type, int seed, Action<GgufWriter, string>? tamper = null, bool ropeFactors = false)
    {
        var random = new Random(seed);
        var writer = new GgufWriter();
        writer.AddMetadata("general.architecture", architecture);
        writer.AddMetadata($"{architecture}.context_length", (uint)Context);
        writer.AddMetadata($"{architecture}.embedding_length", (uint)Width);
        writer.AddMetadata($"{architecture}.block_count", (uint)Layers);
        writer.AddMetadata($"{architecture}.feed_forward_length", (uint)FeedForward);
        writer.AddMetadata($"{architecture}.attention.head_count", (uint)Heads);
        writer.AddMetadata($"{architecture}.attention.head_count_kv", (uint)KvHeads);
        writer.AddMetadata($"{architecture}.attention.layer_norm_rms_epsilon", Epsilon);
        writer.AddMetadata($"{architecture}.rope.freq_base", (float)Theta);
        writer.AddMetadata($"{architecture}.rope.dimension_count", (uint)HeadSize);

        float[] Random(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();

        // Writes a matrix [rows × cols] and returns the values the file really holds.
        double[][] Matrix(string name, int rows, int cols, double scale, GgmlType matrixType)
        {
            var values = Random(rows * cols, scale);
            var bytes = Quantization.Quantize(matrixType, values);
            writer.AddTensor(name, matrixType, [cols, rows], bytes);
            var back = new float[values.Length];
            Quantization.Dequantize(matrixType, bytes, back);
            return Enumerable.Range(0, rows).Select(r => back.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray()).ToArray();
        }

        double[] Vector(string name, int length, double center, double scale)
        {
            var values = Random(length, scale).Select(v => (float)(v + center)).ToArray();
            writer.AddTensor(name, values, length);
            return values.Select(v => (double)v).ToArray();
        }

        var embedding = Matrix("token_embd.weight", Vocab, Width, 1.0, type);
        var blocks = new LayerWeights[Layers];
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blk.{l}.";
            var attentionNorm = Vector(p + "attn_norm.weight", Width, 1, 0.2);
            double[][] q, k, v;
            if (architecture == "phi3")
            {
                var qkv = Matrix(p + "attn_qkv.weight", Width + 2 * KvWidth, Width, 0.3, type);
                (q, k, v) = (qkv[..Width], qkv[Width..(Width + KvWidth)], qkv[(Width + KvWidth)..]);
            }
            else
            {
                q = Matrix(p + "attn_q.weight", Width, Width, 0.3, type);
                k = Matrix(p + "attn_k.weight", KvWidth, Width, 0.3, type);
                v = Matrix(p + "attn_v.weight", KvWidth, Width, 0.3, type);
            }
            bool biases = architecture == "qwen2";
            var qb = biases ? Vector(p + "attn_q.bias", Width, 0, 0.3) : null;
            var kb = biases ? Vector(p + "attn_k.bias", KvWidth, 0, 0.3) : null;
            var vb = biases ? Vector(p + "attn_v.bias", KvWidth, 0, 0.3) : null;
            var o = Matrix(p + "attn_output.weight", Width, Width, 0.2, type);
            var feedForwardNorm = Vector(p + "ffn_norm.weight", Width, 1, 0.2);
            double[][] gate, up;
            if (architecture == "phi3")
            {
                var gateUp = Matrix(p + "ffn_up.weight", 2 * FeedForward, Width, 0.3, type);
                (gate, up) = (gateUp[..FeedForward], gateUp[FeedForward..]);
            }
            else
            {
                gate = Matrix(p + "ffn_gate.weight", FeedForward, Width, 0.3, type);
                up = Matrix(p + "ffn_up.weight", FeedForward, Width, 0.3, type);
            }
            var down = Matrix(p + "ffn_down.weight", Width, FeedForward, 0.2, type);
            blocks[l] = new LayerWeights(attentionNorm, q, k, v, qb, kb, vb, o, feedForwardNorm, gate, up, down);
        }
        var factors = ropeFactors ? Vector("rope_freqs.weight", HeadSize / 2, 4.5, 3.5) : null; // divisors in [1, 8]
        var outputNorm = Vector("output_norm.weight", Width, 1, 0.2);
        var output = Matrix("output.weight", Vocab, Width, 0.3, type);
        tamper?.Invoke(writer, architecture);

        using var stream = new MemoryStream();
        writer.Write(stream);
        return new RandomLlamaFile
        {
            Architecture = architecture, Bytes = stream.ToArray(), RopeFactors = factors, Embedding = embedding, Output = output, OutputNorm = outputNorm, Blocks = blocks,
        };
    }
}
