using Loom.Formats;

namespace Loom.Models.Decoder;

/// <summary>Reads a decoder from a GGUF file with the tensor names llama.cpp's converter writes.</summary>
internal static class GgufDecoderLoader
{
    public static (DecoderConfig Config, DecoderWeights Weights) Load(GgufFile file)
    {
        int? embeddingRows = file.TryGetTensor("token_embd.weight", out var embd) && embd.Dimensions.Count == 2 && embd.Dimensions[1] <= int.MaxValue
            ? (int)embd.Dimensions[1] : null;
        var config = DecoderConfig.FromGguf(file.Metadata, file.Path, embeddingRows);
        var read = DecoderTensorReader.For(file);
        // Every layer has several tensors: a block count beyond the tensor count is a lie, refused before allocating for it.
        if (config.Layers > file.Tensors.Count) throw new ModelFormatException(file.Path, $"{config.Layers} layers declared but the file holds only {file.Tensors.Count} tensors");

        if (read.Has("rope_factors_long.weight") || read.Has("rope_factors_short.weight"))
            throw new ModelFormatException(file.Path, "LongRoPE (rope_factors_long/short) is not supported");
        // llama.cpp's form of Llama 3.1 rope scaling: a divisor per rotated pair.
        if (read.Has("rope_freqs.weight"))
            config = config with { RopeScaling = new RopeFrequencyFactors(config.RopeTheta, config.RopeDimensions, read.Vector("rope_freqs.weight", config.RopeDimensions / 2)) };

        int d = config.EmbeddingSize, q = config.QueryDimension, kv = config.KvDimension, ff = config.FeedForwardSize;
        var layers = new DecoderLayerWeights[config.Layers];
        for (int i = 0; i < layers.Length; i++)
        {
            string b = $"blk.{i}.";
            bool fused = read.Has(b + "attn_qkv.weight");
            bool gpt2 = config.Architecture == DecoderArchitecture.Gpt2;
            bool phi3 = config.Architecture == DecoderArchitecture.Phi3;
            layers[i] = new DecoderLayerWeights
            {
                AttentionNorm = read.Vector(b + "attn_norm.weight", d),
                AttentionNormBias = read.OptionalVector(b + "attn_norm.bias", d),
                Qkv = fused ? read.Matrix(b + "attn_qkv.weight", q + 2 * kv, d) : null,
                QkvBias = fused ? read.OptionalVector(b + "attn_qkv.bias", q + 2 * kv) : null,
                Query = fused ? null : read.Matrix(b + "attn_q.weight", q, d),
                Key = fused ? null : read.Matrix(b + "attn_k.weight", kv, d),
                Value = fused ? null : read.Matrix(b + "attn_v.weight", kv, d),
                QueryBias = read.OptionalVector(b + "attn_q.bias", q),
                KeyBias = read.OptionalVector(b + "attn_k.bias", kv),
                ValueBias = read.OptionalVector(b + "attn_v.bias", kv),
                AttentionOutput = read.Matrix(b + "attn_output.weight", d, q),
                AttentionOutputBias = read.OptionalVector(b + "attn_output.bias", d),
                FeedForwardNorm = read.Vector(b + "ffn_norm.weight", d),
                FeedForwardNormBias = read.OptionalVector(b + "ffn_norm.bias", d),
                Gate = gpt2 || phi3 ? null : read.Matrix(b + "ffn_gate.weight", ff, d),
                Up = read.Matrix(b + "ffn_up.weight", phi3 ? 2 * ff : ff, d),
                UpBias = read.OptionalVector(b + "ffn_up.bias", ff),
                Down = read.Matrix(b + "ffn_down.weight", d, ff),
                DownBias = read.OptionalVector(b + "ffn_down.bias", d),
            };
        }

        var tokenEmbedding = read.Matrix("token_embd.weight", config.VocabularySize, d);
        var weights = new DecoderWeights
        {
            TokenEmbedding = tokenEmbedding,
            PositionEmbedding = config.Architecture == DecoderArchitecture.Gpt2 ? read.Matrix("position_embd.weight", config.ContextLength, d) : null,
            Layers = layers,
            OutputNorm = read.Vector("output_norm.weight", d),
            OutputNormBias = read.OptionalVector("output_norm.bias", d),
            Output = read.OptionalMatrix("output.weight", config.VocabularySize, d) ?? tokenEmbedding,
        };
        return (config, weights);
    }
}
