using Loom.Formats;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// The tokenizer stored in a GGUF file's metadata (tokenizer.ggml.*): byte-level BPE ("gpt2": GPT-2, Llama 3, Qwen2 …)
/// with the pre-tokenizer regex named by tokenizer.ggml.pre, and SentencePiece BPE by scores ("llama": Llama 2,
/// Mistral, TinyLlama …) as llama.cpp runs it, and WordPiece ("bert") as Hugging Face's uncased BERT tokenizer.
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
        if (model is not ("gpt2" or "llama" or "bert"))
            throw new ModelFormatException(path, $"tokenizer.ggml.model '{model}' is not supported yet (gpt2, llama and bert are)");
        var tokens = metadata.GetArray<string>("tokenizer.ggml.tokens");
        var vocabulary = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
            if (!vocabulary.TryAdd(tokens[i], i)) throw new ModelFormatException(path, $"token '{tokens[i]}' appears twice (ids {vocabulary[tokens[i]]} and {i})");
        foreach (var key in new[] { "bos", "eos", "unknown", "padding", "separator", "seperator", "cls", "mask" })
            if (metadata.TryGetUInt32($"tokenizer.ggml.{key}_token_id", out uint id) && id >= tokens.Length)
                throw new ModelFormatException(path, $"tokenizer.ggml.{key}_token_id {id} is out of range for {tokens.Length} tokens");
        if (model == "llama") return LoadSentencePiece(metadata, path, tokens);
        if (model == "bert") return LoadWordPiece(metadata, path, tokens);
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
        return TokenizerJsonLoader.CreateByteLevelBpe(vocabulary, merges, pattern, special, null);
    }

    // llama.cpp's defaults for SentencePiece vocabularies: BOS 1, EOS 2, unknown 0, BOS added, no EOS, space prefix.
    private static SentencePieceScoreTokenizer LoadSentencePiece(GgufMetadata metadata, string? path, string[] tokens)
    {
        var scores = metadata.TryGetArray<float>("tokenizer.ggml.scores", out var s) ? s : new float[tokens.Length];
        if (scores.Length != tokens.Length) throw new ModelFormatException(path, $"tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens");
        var types = metadata.TryGetArray<int>("tokenizer.ggml.token_type", out var t) ? t : Enumerable.Repeat((int)GgufTokenType.Normal, tokens.Length).ToArray();
        if (types.Length != tokens.Length) throw new ModelFormatException(path, $"tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens");
        int Id(string key, int fallback) => metadata.TryGetUInt32($"tokenizer.ggml.{key}_token_id", out uint id) ? (int)id : fallback < tokens.Length ? fallback : -1;
        bool Flag(string key, bool fallback) => metadata.TryGetBool($"tokenizer.ggml.{key}", out bool value) ? value : fallback;
        int bos = Id("bos", 1), eos = Id("eos", 2);
        return new SentencePieceScoreTokenizer(tokens, scores, [.. types.Select(x => (GgufTokenType)x)], Id("unknown", 0),
            Flag("add_bos_token", true) && bos >= 0 ? bos : null, Flag("add_eos_token", false) && eos >= 0 ? eos : null, Flag("add_space_prefix", true));
    }

    /// <summary>
    /// llama.cpp's converter stores a WordPiece vocabulary with a "phantom space": word-initial pieces get a "▁" prefix,
    /// "##" continuations lose theirs, "[…]" tokens stay. Undone here to give vocab.txt's tokens; GGUF does not record
    /// lower-casing, and llama.cpp always lower-cases, so the uncased settings are used.
    /// </summary>
    private static BertWordPieceTokenizer LoadWordPiece(GgufMetadata metadata, string? path, string[] tokens)
    {
        var pieces = tokens.Select(t => t.StartsWith('[') && t.EndsWith(']') ? t : t.StartsWith('\u2581') ? t[1..] : "##" + t).ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var piece in pieces)
            if (!seen.Add(piece)) throw new ModelFormatException(path, $"WordPiece token '{piece}' appears twice once the phantom space is undone");
        string Name(string key, string fallback) => metadata.TryGetUInt32($"tokenizer.ggml.{key}_token_id", out uint id) ? pieces[id] : fallback;
        var defaults = new BertTokenizerOptions();
        return BertWordPieceTokenizer.FromTokens(pieces, defaults with
        {
            UnknownToken = Name("unknown", defaults.UnknownToken),
            ClassificationToken = Name("cls", defaults.ClassificationToken),
            SeparatorToken = Name("seperator", Name("separator", defaults.SeparatorToken)),
            PaddingToken = Name("padding", defaults.PaddingToken),
            MaskingToken = Name("mask", defaults.MaskingToken),
        });
    }
}
