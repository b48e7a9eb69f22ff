using Loom.Formats;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// The tokenizer stored in a GGUF file's metadata (tokenizer.ggml.*). Byte-level BPE ("gpt2": GPT-2, Llama 3, Qwen2 …)
/// is supported, with the pre-tokenizer regex named by tokenizer.ggml.pre; SentencePiece ("llama") and WordPiece
/// ("bert") vocabularies are refused by name for now.
/// </summary>
public static class GgufTokenizerLoader
{
    private const int ControlToken = 3, UserDefinedToken = 4;

    // The regexes llama.cpp uses for each tokenizer.ggml.pre value (as in the models' own tokenizer.json files).
    private static readonly Dictionary<string, string> PreTokenizerPatterns = new(StringComparer.Ordinal)
    {
        ["default"] = TokenizerJsonLoader.Gpt2Pattern,
        ["gpt-2"] = TokenizerJsonLoader.Gpt2Pattern,
        ["llama-bpe"] = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        ["qwen2"] = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    };

    /// <summary>Opens <paramref name="path"/> and reads its tokenizer.</summary>
    public static Tokenizer Load(string path)
    {
        using var file = GgufFile.Open(path);
        return Load(file.Metadata, path);
    }

    /// <exception cref="ModelFormatException">missing or inconsistent tokenizer metadata, or an unsupported tokenizer model</exception>
    public static Tokenizer Load(GgufMetadata metadata, string? path = null)
    {
        var model = metadata.GetString("tokenizer.ggml.model");
        if (model != "gpt2") throw new ModelFormatException(path, $"tokenizer.ggml.model '{model}' is not supported yet (gpt2, i.e. byte-level BPE, is)");
        var tokens = metadata.GetArray<string>("tokenizer.ggml.tokens");
        var vocabulary = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
            if (!vocabulary.TryAdd(tokens[i], i)) throw new ModelFormatException(path, $"token '{tokens[i]}' appears twice (ids {vocabulary[tokens[i]]} and {i})");
        var merges = TokenizerJsonLoader.CheckMerges(path,
            metadata.GetArray<string>("tokenizer.ggml.merges").Select(m => m.Split(' ') is [var l, var r] ? (l, r) : ((string?)null, (string?)null)),
            vocabulary);
        var pre = metadata.TryGetString("tokenizer.ggml.pre", out var name) ? name : "default";
        if (!PreTokenizerPatterns.TryGetValue(pre, out var pattern))
            throw new ModelFormatException(path, $"tokenizer.ggml.pre '{pre}' is not supported yet ({string.Join(", ", PreTokenizerPatterns.Keys)} are)");
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (metadata.TryGetArray<int>("tokenizer.ggml.token_type", out var types))
        {
            if (types.Length != tokens.Length) throw new ModelFormatException(path, $"tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens");
            for (int i = 0; i < types.Length; i++)
                if (types[i] is ControlToken or UserDefinedToken) special[tokens[i]] = i;
        }
        foreach (var key in new[] { "bos", "eos", "unknown", "padding", "separator" })
            if (metadata.TryGetUInt32($"tokenizer.ggml.{key}_token_id", out uint id) && id >= tokens.Length)
                throw new ModelFormatException(path, $"tokenizer.ggml.{key}_token_id {id} is out of range for {tokens.Length} tokens");
        return TokenizerJsonLoader.CreateByteLevelBpe(vocabulary, merges, pattern, special, null);
    }
}
