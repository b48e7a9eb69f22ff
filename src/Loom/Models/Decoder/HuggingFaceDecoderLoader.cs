using Loom.Formats;

namespace Loom.Models.Decoder;

/// <summary>
/// Reads a decoder from a Hugging Face folder: <c>config.json</c> and <c>model.safetensors</c> (or a sharded index).
/// HF keeps Llama's q/k rows in rotate_half order, so these models rotate NeoX-style; llama.cpp's GGUF permutes the
/// same rows into adjacent pairs instead — both give the same attention.
/// </summary>
internal static class HuggingFaceDecoderLoader
{
    public static (DecoderConfig Config, DecoderWeights Weights) Load(string folder, SafetensorsModel model)
    {
        string configPath = System.IO.Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new ModelFormatException(folder, "the folder has no config.json");
        var hf = HuggingFaceConfig.Load(configPath);
        var config = DecoderConfig.FromHuggingFace(hf, configPath);
        var read = DecoderTensorReader.For(model);
        if (config.Layers > model.Tensors.Count) throw new ModelFormatException(configPath, $"{config.Layers} layers declared but the model holds only {model.Tensors.Count} tensors");
        bool tied = hf.TieWordEmbeddings ?? false;
        return config.Architecture == DecoderArchitecture.Gpt2 ? LoadGpt2(config, read) : LoadLlama(config, read, tied);
    }

    private static (DecoderConfig, DecoderWeights) LoadLlama(DecoderConfig config, DecoderTensorReader read, bool tied)
    {
        int d = config.EmbeddingSize, q = config.QueryDimension, kv = config.KvDimension, ff = config.FeedForwardSize;
        bool phi3 = config.Architecture == DecoderArchitecture.Phi3;
        var layers = new DecoderLayerWeights[config.Layers];
        for (int i = 0; i < layers.Length; i++)
        {
            string b = $"model.layers.{i}.";
            string a = b + "self_attn.";
            layers[i] = new DecoderLayerWeights
            {
                AttentionNorm = read.Vector(b + "input_layernorm.weight", d),
                Qkv = phi3 ? read.Matrix(a + "qkv_proj.weight", q + 2 * kv, d) : null,
                Query = phi3 ? null : read.Matrix(a + "q_proj.weight", q, d),
                Key = phi3 ? null : read.Matrix(a + "k_proj.weight", kv, d),
                Value = phi3 ? null : read.Matrix(a + "v_proj.weight", kv, d),
                QueryBias = read.OptionalVector(a + "q_proj.bias", q),
                KeyBias = read.OptionalVector(a + "k_proj.bias", kv),
                ValueBias = read.OptionalVector(a + "v_proj.bias", kv),
                AttentionOutput = read.Matrix(a + "o_proj.weight", d, q),
                FeedForwardNorm = read.Vector(b + "post_attention_layernorm.weight", d),
                Gate = phi3 ? null : read.Matrix(b + "mlp.gate_proj.weight", ff, d),
                Up = phi3 ? read.Matrix(b + "mlp.gate_up_proj.weight", 2 * ff, d) : read.Matrix(b + "mlp.up_proj.weight", ff, d),
                Down = read.Matrix(b + "mlp.down_proj.weight", d, ff),
            };
        }
        var embedding = read.Matrix("model.embed_tokens.weight", config.VocabularySize, d);
        var output = tied ? null : read.OptionalMatrix("lm_head.weight", config.VocabularySize, d);
        return (config, new DecoderWeights
        {
            TokenEmbedding = embedding,
            Layers = layers,
            OutputNorm = read.Vector("model.norm.weight", d),
            Output = output ?? embedding,
        });
    }

    /// <summary>GPT-2's Conv1D layers store [inputs × outputs]; they are transposed (in their own type) into rows of outputs.</summary>
    private static (DecoderConfig, DecoderWeights) LoadGpt2(DecoderConfig config, DecoderTensorReader read)
    {
        string p = read.Has("transformer.wte.weight") ? "transformer." : "";
        int d = config.EmbeddingSize, ff = config.FeedForwardSize;
        var layers = new DecoderLayerWeights[config.Layers];
        for (int i = 0; i < layers.Length; i++)
        {
            string b = $"{p}h.{i}.";
            layers[i] = new DecoderLayerWeights
            {
                AttentionNorm = read.Vector(b + "ln_1.weight", d),
                AttentionNormBias = read.Vector(b + "ln_1.bias", d),
                Qkv = read.TransposedMatrix(b + "attn.c_attn.weight", 3 * d, d),
                QkvBias = read.Vector(b + "attn.c_attn.bias", 3 * d),
                AttentionOutput = read.TransposedMatrix(b + "attn.c_proj.weight", d, d),
                AttentionOutputBias = read.Vector(b + "attn.c_proj.bias", d),
                FeedForwardNorm = read.Vector(b + "ln_2.weight", d),
                FeedForwardNormBias = read.Vector(b + "ln_2.bias", d),
                Up = read.TransposedMatrix(b + "mlp.c_fc.weight", ff, d),
                UpBias = read.Vector(b + "mlp.c_fc.bias", ff),
                Down = read.TransposedMatrix(b + "mlp.c_proj.weight", d, ff),
                DownBias = read.Vector(b + "mlp.c_proj.bias", d),
            };
        }
        var embedding = read.Matrix(p + "wte.weight", config.VocabularySize, d);
        return (config, new DecoderWeights
        {
            TokenEmbedding = embedding,
            PositionEmbedding = read.Matrix(p + "wpe.weight", config.ContextLength, d),
            Layers = layers,
            OutputNorm = read.Vector(p + "ln_f.weight", d),
            OutputNormBias = read.Vector(p + "ln_f.bias", d),
            Output = read.OptionalMatrix("lm_head.weight", config.VocabularySize, d) ?? embedding,
        });
    }
}
