using System.Text.Json;
using Loom.Formats;
using Loom.Models;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// One entry point for tokenizers: a well-known name ("gpt2", "r50k", "cl100k", "o200k", "minilm", "arctic-xs"),
/// a vocab.txt or tokenizer.json file, or a model folder holding one of them.
/// </summary>
public static class TokenizerResolver
{
    // The tiktoken data packages, by the encoding (or a model using it) that ML.Tokenizers knows them by.
    private static readonly Dictionary<string, Func<Tokenizer>> Tiktoken = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt2"] = () => TiktokenTokenizer.CreateForModel("gpt2"),
        ["r50k"] = () => TiktokenTokenizer.CreateForEncoding("r50k_base"),
        ["r50k_base"] = () => TiktokenTokenizer.CreateForEncoding("r50k_base"),
        ["cl100k"] = () => TiktokenTokenizer.CreateForEncoding("cl100k_base"),
        ["cl100k_base"] = () => TiktokenTokenizer.CreateForEncoding("cl100k_base"),
        ["o200k"] = () => TiktokenTokenizer.CreateForModel("gpt-4o"),
        ["o200k_base"] = () => TiktokenTokenizer.CreateForModel("gpt-4o"),
    };

    /// <summary>The well-known names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gpt2", "r50k", "cl100k", "o200k", .. DefaultModels.Names];

    /// <exception cref="ArgumentException">neither a known name nor an existing file or folder</exception>
    /// <exception cref="ModelFormatException">the file is not a tokenizer Loom reads</exception>
    public static Tokenizer Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (Tiktoken.TryGetValue(nameOrPath, out var create)) return create();
        if (DefaultModels.IsDefaultModelName(nameOrPath)) return BertWordPieceTokenizer.FromVocabFile(DefaultModels.Resolve(nameOrPath).VocabPath);
        if (Directory.Exists(nameOrPath))
        {
            foreach (var file in new[] { "tokenizer.json", "vocab.txt" })
                if (File.Exists(Path.Combine(nameOrPath, file))) return Resolve(Path.Combine(nameOrPath, file));
            throw new ModelFormatException(nameOrPath, "the folder has no tokenizer.json or vocab.txt");
        }
        if (File.Exists(nameOrPath))
        {
            return Path.GetExtension(nameOrPath).ToLowerInvariant() switch
            {
                ".txt" => BertWordPieceTokenizer.FromVocabFile(nameOrPath),
                ".json" => FromTokenizerJson(nameOrPath),
                _ => throw new ModelFormatException(nameOrPath, "not a tokenizer Loom reads (vocab.txt or tokenizer.json)"),
            };
        }
        throw new ArgumentException($"'{nameOrPath}' is neither a known tokenizer ({string.Join(", ", Names)}) nor a file or folder", nameof(nameOrPath));
    }

    /// <summary>A Hugging Face tokenizer.json; Loom reads its WordPiece models (BERT family) so far.</summary>
    private static Tokenizer FromTokenizerJson(string path)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllBytes(path)).RootElement; }
        catch (JsonException e) { throw new ModelFormatException(path, $"not valid JSON: {e.Message}", e); }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, "no \"model\" object");
        var type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type != "WordPiece")
            throw new ModelFormatException(path, $"model type '{type ?? "(none)"}' is not supported yet (WordPiece is)");
        return WordPieceFromJson(path, root, model);
    }

    private static BertWordPieceTokenizer WordPieceFromJson(string path, JsonElement root, JsonElement model)
    {
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, "the WordPiece model has no \"vocab\" object");
        var entries = new List<(string Token, int Id)>();
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw new ModelFormatException(path, $"token '{entry.Name}' has no valid id");
            entries.Add((entry.Name, id));
        }
        var tokens = new string?[entries.Count];
        foreach (var (token, id) in entries)
        {
            if (id >= tokens.Length) throw new ModelFormatException(path, $"id {id} of '{token}' is out of range for {tokens.Length} tokens");
            if (tokens[id] is not null) throw new ModelFormatException(path, $"id {id} is given to both '{tokens[id]}' and '{token}'");
            tokens[id] = token;
        }
        var options = new BertTokenizerOptions
        {
            UnknownToken = String(model, "unk_token") ?? "[UNK]",
            ContinuingSubwordPrefix = String(model, "continuing_subword_prefix") ?? "##",
            MaxInputCharsPerWord = model.TryGetProperty("max_input_chars_per_word", out var m) && m.TryGetInt32(out int max) ? max : 100,
        };
        if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object)
        {
            if (String(normalizer, "type") != "BertNormalizer")
                throw new ModelFormatException(path, $"normalizer '{String(normalizer, "type")}' with a WordPiece model is not supported yet (BertNormalizer is)");
            options = options with
            {
                LowerCase = Bool(normalizer, "lowercase") ?? true,
                StripAccents = Bool(normalizer, "strip_accents"),
                CleanText = Bool(normalizer, "clean_text") ?? true,
                HandleChineseCharacters = Bool(normalizer, "handle_chinese_chars") ?? true,
            };
        }
        return BertWordPieceTokenizer.FromTokens(tokens!, options);
    }

    private static string? String(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
