using System.Text.Json;

namespace Loom.Formats;

/// <summary>
/// The fields of a Hugging Face <c>config.json</c> that Loom uses. Unknown fields are kept in <see cref="Json"/>;
/// a field of the wrong JSON type is refused. GPT-2's names (<c>n_embd</c>, <c>n_layer</c>, <c>n_head</c>,
/// <c>n_positions</c>, <c>n_inner</c>) are read as their modern equivalents, as transformers' attribute maps do.
/// </summary>
public sealed record HuggingFaceConfig
{
    public string? ModelType { get; init; }
    public IReadOnlyList<string> Architectures { get; init; } = [];
    public int? HiddenSize { get; init; }
    public int? NumHiddenLayers { get; init; }
    public int? NumAttentionHeads { get; init; }
    /// <summary>Absent in models without grouped-query attention, where it equals <see cref="NumAttentionHeads"/>.</summary>
    public int? NumKeyValueHeads { get; init; }
    public int? HeadDim { get; init; }
    public int? IntermediateSize { get; init; }
    public int? VocabSize { get; init; }
    public int? MaxPositionEmbeddings { get; init; }
    public int? TypeVocabSize { get; init; }
    public double? RopeTheta { get; init; }
    public RopeScaling? RopeScaling { get; init; }
    public double? RmsNormEps { get; init; }
    public double? LayerNormEps { get; init; }
    public string? HiddenAct { get; init; }
    public bool? TieWordEmbeddings { get; init; }
    public int? SlidingWindow { get; init; }
    public int? BosTokenId { get; init; }
    /// <summary>One or several end-of-sequence ids (Llama 3 lists several).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public int? PadTokenId { get; init; }
    public string? TorchDtype { get; init; }

    /// <summary>The whole document, for fields not mapped above.</summary>
    public JsonElement Json { get; init; }

    /// <summary>Reads a config.json (at most 16 MB).</summary>
    public static HuggingFaceConfig Load(string path)
    {
        using var document = JsonFile.Load(path, 16 << 20);
        return FromDocument(document, path);
    }

    public static HuggingFaceConfig Parse(ReadOnlyMemory<byte> json, string? path = null)
    {
        using var document = JsonFile.Parse(json, path);
        return FromDocument(document, path);
    }

    private static HuggingFaceConfig FromDocument(JsonDocument document, string? path)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ModelFormatException(path, "config.json is not a JSON object");
        var read = new Fields(root, path);
        return new HuggingFaceConfig
        {
            ModelType = read.String("model_type"),
            Architectures = read.Strings("architectures"),
            HiddenSize = read.Int("hidden_size", "n_embd", "d_model"),
            NumHiddenLayers = read.Int("num_hidden_layers", "n_layer"),
            NumAttentionHeads = read.Int("num_attention_heads", "n_head"),
            NumKeyValueHeads = read.Int("num_key_value_heads"),
            HeadDim = read.Int("head_dim"),
            IntermediateSize = read.Int("intermediate_size", "n_inner"),
            VocabSize = read.Int("vocab_size"),
            MaxPositionEmbeddings = read.Int("max_position_embeddings", "n_positions"),
            TypeVocabSize = read.Int("type_vocab_size"),
            RopeTheta = read.Number("rope_theta"),
            RopeScaling = read.Scaling("rope_scaling"),
            RmsNormEps = read.Number("rms_norm_eps"),
            LayerNormEps = read.Number("layer_norm_eps", "layer_norm_epsilon"),
            HiddenAct = read.String("hidden_act", "activation_function"),
            TieWordEmbeddings = read.Bool("tie_word_embeddings"),
            SlidingWindow = read.Int("sliding_window"),
            BosTokenId = read.Int("bos_token_id"),
            EosTokenIds = read.Ints("eos_token_id"),
            PadTokenId = read.Int("pad_token_id"),
            TorchDtype = read.String("torch_dtype", "dtype"),
            Json = root.Clone(),
        };
    }

    /// <summary>Reads optional fields; a present field of the wrong type is a <see cref="ModelFormatException"/>. Null counts as absent.</summary>
    private readonly struct Fields(JsonElement root, string? path)
    {
        private JsonElement? Find(string[] names)
        {
            foreach (string name in names)
                if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null) return value;
            return null;
        }

        private ModelFormatException Wrong(string[] names, string wanted) => new(path, $"'{names[0]}' is not {wanted}");

        public string? String(params string[] names) => Find(names) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            _ => throw Wrong(names, "a string"),
        };

        public int? Int(params string[] names) => Find(names) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out int i) => i,
            _ => throw Wrong(names, "a 32-bit integer"),
        };

        public double? Number(params string[] names) => Find(names) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
            _ => throw Wrong(names, "a number"),
        };

        public bool? Bool(params string[] names) => Find(names) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw Wrong(names, "true or false"),
        };

        public IReadOnlyList<string> Strings(string name)
        {
            if (Find([name]) is not { } value) return [];
            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                throw Wrong([name], "an array of strings");
            return value.EnumerateArray().Select(e => e.GetString()!).ToList();
        }

        /// <summary>An integer or an array of integers.</summary>
        public IReadOnlyList<int> Ints(string name)
        {
            if (Find([name]) is not { } value) return [];
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int single)) return [single];
            if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)))
                return value.EnumerateArray().Select(e => e.GetInt32()).ToList();
            throw Wrong([name], "an integer or an array of integers");
        }

        public RopeScaling? Scaling(string name)
        {
            if (Find([name]) is not { } value) return null;
            if (value.ValueKind != JsonValueKind.Object) throw Wrong([name], "an object");
            var read = new Fields(value, path);
            return new RopeScaling(
                read.String("rope_type", "type"),
                read.Number("factor"),
                read.Int("original_max_position_embeddings"),
                read.Number("low_freq_factor"),
                read.Number("high_freq_factor"));
        }
    }
}

/// <summary>The <c>rope_scaling</c> object of a config (e.g. Llama 3's <c>"llama3"</c> or <c>"linear"</c>, <c>"yarn"</c>).</summary>
public sealed record RopeScaling(string? Type, double? Factor, int? OriginalMaxPositionEmbeddings, double? LowFreqFactor, double? HighFreqFactor);
