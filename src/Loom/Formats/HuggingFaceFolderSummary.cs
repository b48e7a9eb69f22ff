using System.Globalization;
using System.Text.Json;

namespace Loom.Formats;

/// <summary>
/// Builds a <see cref="ModelSummary"/> from a Hugging Face model folder: config.json for the architecture,
/// safetensors weights (one file or an index), and tokenizer.json / tokenizer_config.json / vocab.txt for the tokenizer.
/// </summary>
internal static class HuggingFaceFolderSummary
{
    private const long MaxTokenizerBytes = 256L << 20;
    private static readonly string[] SpecialTokenRoles = ["bos", "eos", "unk", "pad", "sep", "cls", "mask"];
    private static readonly string[] KnownFiles =
        ["config.json", "generation_config.json", SafetensorsModel.IndexFileName, SafetensorsModel.SingleFileName,
         "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "tokenizer.model", "chat_template.jinja"];

    public static ModelSummary Create(string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        var config = File.Exists(configPath) ? HuggingFaceConfig.Load(configPath) : null;
        bool hasWeights = File.Exists(Path.Combine(folder, SafetensorsModel.IndexFileName)) || Directory.GetFiles(folder, "*.safetensors").Length > 0;
        if (config is null && !hasWeights)
            throw new ModelFormatException(folder, "not a model folder: no config.json and no .safetensors weights");

        var files = KnownFiles.Where(f => File.Exists(Path.Combine(folder, f))).ToList();
        if (!hasWeights)
            return Build(folder, "Hugging Face folder (no safetensors weights)", config, [], [new("files", string.Join(", ", files))], folder);
        using var model = SafetensorsModel.Open(folder);
        return FromSafetensors(model, folder, $"Hugging Face folder (safetensors, {model.Shards.Count} file{(model.Shards.Count == 1 ? "" : "s")})", config, files);
    }

    public static ModelSummary FromSafetensors(SafetensorsModel model, string source, string format, HuggingFaceConfig? config, IReadOnlyList<string>? files = null)
    {
        var metadata = model.Metadata.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToList();
        if (files is not null) metadata.Insert(0, new("files", string.Join(", ", files)));
        var tensors = model.Tensors
            .Select(t => new TensorSummary(t.Name, t.Shape, SafetensorsDTypes.Name(t.DType), t.ElementCount, t.ByteCount))
            .ToList();
        // A lone file is summarised alone; a folder also brings its config and tokenizer.
        string? folder = files is null ? null : source;
        return Build(source, format, config, tensors, metadata, folder);
    }

    private static ModelSummary Build(string source, string format, HuggingFaceConfig? config, List<TensorSummary> tensors,
        List<KeyValuePair<string, string>> metadata, string? folder)
    {
        var (tokenizer, chatTemplate) = folder is null ? (null, false) : ReadTokenizer(folder, config);
        return new ModelSummary
        {
            Source = source,
            Format = format,
            Architecture = config is null ? null : config.Architectures.FirstOrDefault() ?? config.ModelType,
            Name = folder is null ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))),
            HyperParameters = config is null ? [] : HyperParameters(config),
            Tensors = tensors,
            Metadata = metadata,
            Tokenizer = tokenizer,
            HasChatTemplate = chatTemplate,
        };
    }

    private static List<KeyValuePair<string, string>> HyperParameters(HuggingFaceConfig c)
    {
        var list = new List<KeyValuePair<string, string>>();
        void Add(string key, object? value)
        {
            string? text = value switch
            {
                null => null,
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                bool b => b ? "true" : "false",
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
            if (text is not null) list.Add(new(key, text));
        }
        Add("model_type", c.ModelType);
        Add("hidden_size", c.HiddenSize);
        Add("num_hidden_layers", c.NumHiddenLayers);
        Add("num_attention_heads", c.NumAttentionHeads);
        Add("num_key_value_heads", c.NumKeyValueHeads);
        Add("head_dim", c.HeadDim);
        Add("intermediate_size", c.IntermediateSize);
        Add("vocab_size", c.VocabSize);
        Add("max_position_embeddings", c.MaxPositionEmbeddings);
        Add("type_vocab_size", c.TypeVocabSize);
        Add("hidden_act", c.HiddenAct);
        Add("rope_theta", c.RopeTheta);
        if (c.RopeScaling is { } s)
            Add("rope_scaling", $"{s.Type ?? "?"} ×{s.Factor?.ToString("R", CultureInfo.InvariantCulture) ?? "?"}");
        Add("rms_norm_eps", c.RmsNormEps);
        Add("layer_norm_eps", c.LayerNormEps);
        Add("sliding_window", c.SlidingWindow);
        Add("tie_word_embeddings", c.TieWordEmbeddings);
        Add("bos_token_id", c.BosTokenId);
        if (c.EosTokenIds.Count > 0) Add("eos_token_id", string.Join(", ", c.EosTokenIds));
        Add("pad_token_id", c.PadTokenId);
        Add("torch_dtype", c.TorchDtype);
        return list;
    }

    private static (TokenizerSummary? Tokenizer, bool ChatTemplate) ReadTokenizer(string folder, HuggingFaceConfig? config)
    {
        string? model = null;
        int? vocabSize = null;
        var special = new List<KeyValuePair<string, string>>();
        bool chatTemplate = File.Exists(Path.Combine(folder, "chat_template.jinja")) || File.Exists(Path.Combine(folder, "chat_template.json"));

        string tokenizerJson = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(tokenizerJson))
        {
            using var doc = JsonFile.Load(tokenizerJson, MaxTokenizerBytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelFormatException(tokenizerJson, "not a JSON object");
            if (doc.RootElement.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object)
            {
                if (m.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String) model = type.GetString();
                if (m.TryGetProperty("vocab", out var vocab))
                    vocabSize = vocab.ValueKind switch
                    {
                        JsonValueKind.Object => vocab.EnumerateObject().Count(),
                        JsonValueKind.Array => vocab.GetArrayLength(),
                        _ => null,
                    };
            }
            if (vocabSize is not null && doc.RootElement.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                int maxId = added.EnumerateArray()
                    .Select(a => a.ValueKind == JsonValueKind.Object && a.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out int i) ? i : -1)
                    .DefaultIfEmpty(-1).Max();
                vocabSize = Math.Max(vocabSize.Value, maxId + 1);
            }
        }
        else if (File.Exists(Path.Combine(folder, "vocab.txt")))
        {
            model = "WordPiece (vocab.txt)";
            vocabSize = File.ReadLines(Path.Combine(folder, "vocab.txt")).Count();
        }

        string tokenizerConfig = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig))
        {
            using var doc = JsonFile.Load(tokenizerConfig, MaxTokenizerBytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelFormatException(tokenizerConfig, "not a JSON object");
            foreach (string role in SpecialTokenRoles)
                if (doc.RootElement.TryGetProperty(role + "_token", out var token) && TokenText(token) is { } text)
                    special.Add(new(role, text));
            if (doc.RootElement.TryGetProperty("chat_template", out var template) && template.ValueKind is JsonValueKind.String or JsonValueKind.Array)
                chatTemplate = true;
            if (model is null && doc.RootElement.TryGetProperty("tokenizer_class", out var cls) && cls.ValueKind == JsonValueKind.String)
                model = cls.GetString();
        }

        if (model is null && vocabSize is null && special.Count == 0) return (null, chatTemplate);
        return (new TokenizerSummary(model, vocabSize ?? config?.VocabSize, special), chatTemplate);
    }

    /// <summary>A special token is written either as a string or as an AddedToken object with "content".</summary>
    private static string? TokenText(JsonElement token) => token.ValueKind switch
    {
        JsonValueKind.String => token.GetString(),
        JsonValueKind.Object when token.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };
}
