using Loom.Formats;
using Loom.Tensors;

namespace Loom.Models.Llama;

/// <summary>
/// Hyper-parameters of a Llama-family decoder (Llama 2/3, Mistral, Qwen2, Phi-3), read from GGUF metadata with
/// llama.cpp's key names (<c>{arch}.embedding_length</c>, <c>{arch}.attention.head_count_kv</c>, …).
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>GGUF <c>general.architecture</c>: llama, qwen2 or phi3.</summary>
    public required string Architecture { get; init; }
    public required int VocabularySize { get; init; }
    public required int ContextLength { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int Layers { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required float RmsEpsilon { get; init; }
    public required double RopeTheta { get; init; }
    public required int RopeDimensions { get; init; }

    /// <summary>Llama GGUF files store q/k permuted for adjacent-pair rotation; Qwen2 and Phi-3 rotate split halves.</summary>
    public RopeLayout RopeLayout => Architecture == "llama" ? RopeLayout.Interleaved : RopeLayout.NeoX;

    public int HeadSize => EmbeddingLength / Heads;
    public int KvDimension => KvHeads * HeadSize;

    /// <summary>Architectures this engine runs.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } = ["llama", "qwen2", "phi3"];

    /// <summary>Reads and checks the hyper-parameters.</summary>
    /// <exception cref="ModelFormatException">Missing, inconsistent or unsupported values.</exception>
    public static LlamaConfig FromGguf(GgufFile file)
    {
        var m = file.Metadata;
        if (!m.TryGetString("general.architecture", out var arch))
            throw new ModelFormatException(file.Path, 0, "no general.architecture in the metadata");
        if (!SupportedArchitectures.Contains(arch))
            throw new ModelFormatException(file.Path, 0, $"architecture '{arch}' is not supported (supported: {string.Join(", ", SupportedArchitectures)})");

        int Int(string key)
        {
            if (!m.TryGetValue($"{arch}.{key}", out var value)) throw new ModelFormatException(file.Path, 0, $"metadata key '{arch}.{key}' is missing");
            long v = value.AsInt64();
            if (v <= 0 || v > int.MaxValue) throw new ModelFormatException(file.Path, 0, $"'{arch}.{key}' = {v} is out of range");
            return (int)v;
        }

        var embedding = file.TryGetTensor("token_embd.weight", out var embd) ? embd
            : throw new ModelFormatException(file.Path, 0, "tensor 'token_embd.weight' is missing");
        int heads = Int("attention.head_count");
        int width = Int("embedding_length");
        var config = new LlamaConfig
        {
            Architecture = arch,
            VocabularySize = checked((int)embedding.Dimensions[^1]),
            ContextLength = Int("context_length"),
            EmbeddingLength = width,
            Layers = Int("block_count"),
            FeedForwardLength = Int("feed_forward_length"),
            Heads = heads,
            KvHeads = m.ContainsKey($"{arch}.attention.head_count_kv") ? Int("attention.head_count_kv") : heads,
            RmsEpsilon = m.TryGetSingle($"{arch}.attention.layer_norm_rms_epsilon", out float eps) ? eps : 1e-5f,
            RopeTheta = m.TryGetSingle($"{arch}.rope.freq_base", out float theta) ? theta : 10000,
            RopeDimensions = m.ContainsKey($"{arch}.rope.dimension_count") ? Int("rope.dimension_count") : width / heads,
        };
        if (width % heads != 0 || heads % config.KvHeads != 0 || config.RopeDimensions > config.HeadSize || config.RopeDimensions % 2 != 0)
            throw new ModelFormatException(file.Path, 0, $"inconsistent attention shape: width {width}, {heads} heads, {config.KvHeads} KV heads, {config.RopeDimensions} rotary dimensions");
        return config;
    }
}
