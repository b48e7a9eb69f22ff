using Loom.Formats;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// One entry point for tokenizers: a well-known name ("gpt2", "r50k", "cl100k", "o200k", "minilm", "arctic-xs"),
/// a vocab.txt, tokenizer.json, SentencePiece .model or GGUF file, or a model folder holding a tokenizer.json,
/// tokenizer.model or vocab.txt (in that order of preference).
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
            foreach (var file in new[] { "tokenizer.json", "tokenizer.model", "vocab.txt" })
                if (File.Exists(Path.Combine(nameOrPath, file))) return Resolve(Path.Combine(nameOrPath, file));
            throw new ModelFormatException(nameOrPath, "the folder has no tokenizer.json, tokenizer.model or vocab.txt");
        }
        if (File.Exists(nameOrPath))
        {
            return Path.GetExtension(nameOrPath).ToLowerInvariant() switch
            {
                ".txt" => BertWordPieceTokenizer.FromVocabFile(nameOrPath),
                ".json" => TokenizerJsonLoader.Load(nameOrPath),
                ".gguf" => GgufTokenizerLoader.Load(nameOrPath),
                ".model" => SentencePieceTokenizer.FromFile(nameOrPath),
                _ => throw new ModelFormatException(nameOrPath, "not a tokenizer Loom reads (vocab.txt, tokenizer.json, SentencePiece .model or .gguf)"),
            };
        }
        throw new ArgumentException($"'{nameOrPath}' is neither a known tokenizer ({string.Join(", ", Names)}) nor a file or folder", nameof(nameOrPath));
    }
}
