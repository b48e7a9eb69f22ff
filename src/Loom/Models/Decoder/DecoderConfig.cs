using Loom.Formats;
using Loom.Tensors;
using RopeScaling = Loom.Tensors.RopeScaling;

namespace Loom.Models.Decoder;

/// <summary>
/// The shape of a decoder-only transformer, read from GGUF metadata (the <c>{arch}.*</c> keys llama.cpp writes) or a
/// Hugging Face <c>config.json</c>. Everything the forward pass needs besides the weights.
/// </summary>
public sealed record DecoderConfig
{
    public required DecoderArchitecture Architecture { get; init; }
    public required int VocabularySize { get; init; }
    /// <summary>Positions the model was trained for.</summary>
    public required int ContextLength { get; init; }
    public required int EmbeddingSize { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    /// <summary>Key/value heads; fewer than <see cref="Heads"/> means grouped-query attention.</summary>
    public required int KvHeads { get; init; }
    public required int HeadSize { get; init; }
    public required int FeedForwardSize { get; init; }
    public required float NormEpsilon { get; init; }
    /// <summary>Rotated dimensions per head (0 for GPT-2's learned positions).</summary>
    public int RopeDimensions { get; init; }
    public double RopeTheta { get; init; } = 10000;
    public RopeLayout RopeLayout { get; init; } = RopeLayout.NeoX;
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>Keys further back than this many positions (the query's own included) are not attended; null = all.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Query width: heads × head size.</summary>
    public int QueryDimension => Heads * HeadSize;

    /// <summary>Key (= value) width per position: KV heads × head size.</summary>
    public int KvDimension => KvHeads * HeadSize;

    internal bool UsesLayerNorm => Architecture == DecoderArchitecture.Gpt2;

    /// <summary>Throws <see cref="ModelFormatException"/> unless every size is positive and consistent.</summary>
    internal void Validate(string? path)
    {
        void Check(bool ok, string problem)
        {
            if (!ok) throw new ModelFormatException(path, problem);
        }
        Check(VocabularySize > 0, $"vocabulary size {VocabularySize} is not positive");
        Check(ContextLength > 0, $"context length {ContextLength} is not positive");
        Check(EmbeddingSize > 0 && Layers > 0 && FeedForwardSize > 0, "embedding size, layer count and feed-forward size must be positive");
        Check(Heads > 0 && KvHeads > 0 && HeadSize > 0, "head counts and head size must be positive");
        Check(Heads % KvHeads == 0, $"{Heads} attention heads are not a multiple of {KvHeads} key/value heads");
        Check(float.IsFinite(NormEpsilon) && NormEpsilon >= 0, $"norm epsilon {NormEpsilon} is not a non-negative number");
        Check(Architecture == DecoderArchitecture.Gpt2 || (RopeDimensions > 0 && RopeDimensions % 2 == 0 && RopeDimensions <= HeadSize),
            $"rotary dimensions {RopeDimensions} must be positive, even and at most the head size {HeadSize}");
        Check(Architecture == DecoderArchitecture.Gpt2 || RopeTheta > 1, $"rope frequency base {RopeTheta} must exceed 1");
        Check(SlidingWindow is null or > 0, $"sliding window {SlidingWindow} is not positive");
        Check(Architecture != DecoderArchitecture.Gpt2 || QueryDimension == EmbeddingSize, "GPT-2's heads × head size must equal its embedding size");
    }

    /// <summary>Reads the architecture's hyper-parameters from GGUF metadata, as llama.cpp names them.</summary>
    /// <param name="vocabularyFallback">Rows of token_embd, used when the metadata gives no vocabulary size.</param>
    public static DecoderConfig FromGguf(GgufMetadata metadata, string? path = null, int? vocabularyFallback = null)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string arch = metadata.GetString("general.architecture");
        var architecture = ParseArchitecture(arch, path);
        int? OptionalInt(string key)
        {
            if (!metadata.ContainsKey($"{arch}.{key}")) return null;
            uint value = metadata.GetUInt32($"{arch}.{key}");
            return value <= int.MaxValue ? (int)value : throw new ModelFormatException(path, $"{arch}.{key} = {value} is too large");
        }
        int Int(string key) => OptionalInt(key) ?? throw new ModelFormatException(path, $"metadata key '{arch}.{key}' is missing");
        float? OptionalFloat(string key) => metadata.ContainsKey($"{arch}.{key}") ? metadata.GetSingle($"{arch}.{key}") : null;

        int embedding = Int("embedding_length");
        int heads = Int("attention.head_count");
        int headSize = OptionalInt("attention.key_length") ?? (heads > 0 ? embedding / heads : 0);
        int vocabulary = OptionalInt("vocab_size")
            ?? (metadata.TryGetArray<string>("tokenizer.ggml.tokens", out var tokens) ? tokens.Length : (int?)null)
            ?? vocabularyFallback
            ?? throw new ModelFormatException(path, $"neither {arch}.vocab_size nor tokenizer.ggml.tokens gives the vocabulary size");
        float epsilon = architecture == DecoderArchitecture.Gpt2
            ? OptionalFloat("attention.layer_norm_epsilon") ?? 1e-5f
            : OptionalFloat("attention.layer_norm_rms_epsilon") ?? 1e-5f;

        RopeScaling? scaling = null;
        if (metadata.TryGetString($"{arch}.rope.scaling.type", out string? scalingType) && scalingType != "none")
        {
            if (scalingType != "linear") throw new ModelFormatException(path, $"rope scaling '{scalingType}' is not supported (linear is; Llama 3 scaling comes as rope_freqs.weight)");
            float factor = OptionalFloat("rope.scaling.factor") ?? 1;
            if (factor != 1) scaling = new RopeScaling.Linear(factor);
        }

        var config = new DecoderConfig
        {
            Architecture = architecture,
            VocabularySize = vocabulary,
            ContextLength = Int("context_length"),
            EmbeddingSize = embedding,
            Layers = Int("block_count"),
            Heads = heads,
            KvHeads = OptionalInt("attention.head_count_kv") ?? heads,
            HeadSize = headSize,
            FeedForwardSize = Int("feed_forward_length"),
            NormEpsilon = epsilon,
            RopeDimensions = architecture == DecoderArchitecture.Gpt2 ? 0 : OptionalInt("rope.dimension_count") ?? headSize,
            RopeTheta = OptionalFloat("rope.freq_base") ?? 10000,
            // llama.cpp's converter permutes Llama's q/k rows so that adjacent pairs rotate; Qwen2 and Phi-3 keep HF's halves.
            RopeLayout = architecture == DecoderArchitecture.Llama ? RopeLayout.Interleaved : RopeLayout.NeoX,
            RopeScaling = scaling,
            SlidingWindow = OptionalInt("attention.sliding_window") is int w and > 0 ? w : null,
        };
        config.Validate(path);
        return config;
    }

    /// <summary>Reads a Hugging Face config.json's fields (model_type llama, mistral, qwen2, phi3 or gpt2).</summary>
    public static DecoderConfig FromHuggingFace(HuggingFaceConfig hf, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(hf);
        string type = hf.ModelType ?? throw new ModelFormatException(path, "config.json has no model_type");
        var architecture = type switch
        {
            "llama" or "mistral" => DecoderArchitecture.Llama,
            _ => ParseArchitecture(type, path),
        };
        int Required(int? value, string name) => value ?? throw new ModelFormatException(path, $"config.json has no {name}");
        int embedding = Required(hf.HiddenSize, "hidden_size");
        int heads = Required(hf.NumAttentionHeads, "num_attention_heads");
        int headSize = hf.HeadDim ?? (heads > 0 ? embedding / heads : 0);
        bool gpt2 = architecture == DecoderArchitecture.Gpt2;
        double partialRotary = hf.Json.TryGetProperty("partial_rotary_factor", out var p) && p.ValueKind == System.Text.Json.JsonValueKind.Number ? p.GetDouble() : 1;
        bool slidingUsed = !(hf.Json.TryGetProperty("use_sliding_window", out var use) && use.ValueKind == System.Text.Json.JsonValueKind.False);

        var config = new DecoderConfig
        {
            Architecture = architecture,
            VocabularySize = Required(hf.VocabSize, "vocab_size"),
            ContextLength = Required(hf.MaxPositionEmbeddings, "max_position_embeddings"),
            EmbeddingSize = embedding,
            Layers = Required(hf.NumHiddenLayers, "num_hidden_layers"),
            Heads = heads,
            KvHeads = hf.NumKeyValueHeads ?? heads,
            HeadSize = headSize,
            FeedForwardSize = hf.IntermediateSize ?? (gpt2 ? 4 * embedding : Required(null, "intermediate_size")),
            NormEpsilon = (float)(gpt2 ? hf.LayerNormEps ?? 1e-5 : hf.RmsNormEps ?? 1e-6),
            RopeDimensions = gpt2 ? 0 : (int)(headSize * partialRotary) & ~1,
            RopeTheta = hf.RopeTheta ?? 10000,
            // HF keeps q/k in rotate_half order: the halves of each head pair up.
            RopeLayout = RopeLayout.NeoX,
            RopeScaling = ToScaling(hf.RopeScaling, path),
            SlidingWindow = slidingUsed && hf.SlidingWindow is int w and > 0 ? w : null,
        };
        config.Validate(path);
        return config;
    }

    private static RopeScaling? ToScaling(Formats.RopeScaling? scaling, string? path)
    {
        if (scaling is null || scaling.Type is null or "default") return null;
        return scaling.Type switch
        {
            "linear" => new RopeScaling.Linear(scaling.Factor ?? throw new ModelFormatException(path, "linear rope_scaling has no factor")),
            "llama3" => new RopeScaling.Llama3(
                scaling.Factor ?? throw new ModelFormatException(path, "llama3 rope_scaling has no factor"),
                scaling.LowFreqFactor ?? 1, scaling.HighFreqFactor ?? 4,
                scaling.OriginalMaxPositionEmbeddings ?? throw new ModelFormatException(path, "llama3 rope_scaling has no original_max_position_embeddings")),
            _ => throw new ModelFormatException(path, $"rope_scaling type '{scaling.Type}' is not supported (linear and llama3 are)"),
        };
    }

    private static DecoderArchitecture ParseArchitecture(string name, string? path) => name switch
    {
        "gpt2" => DecoderArchitecture.Gpt2,
        "llama" => DecoderArchitecture.Llama,
        "qwen2" => DecoderArchitecture.Qwen2,
        "phi3" => DecoderArchitecture.Phi3,
        _ => throw new ModelFormatException(path, $"architecture '{name}' is not supported (gpt2, llama, mistral, qwen2 and phi3 are)"),
    };
}
