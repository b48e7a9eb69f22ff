namespace Loom.Tokenization;

/// <summary>
/// Settings of a BERT WordPiece tokenizer, named as in Hugging Face's BertNormalizer and WordPiece model.
/// The defaults are those of uncased BERT models such as all-MiniLM-L6-v2.
/// </summary>
public sealed record BertTokenizerOptions
{
    /// <summary>Lower-case the text (uncased models).</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>Remove accents (NFD, then drop non-spacing marks); null means "when lower-casing", as in HF.</summary>
    public bool? StripAccents { get; init; }

    /// <summary>Remove control characters and turn every whitespace character into a space.</summary>
    public bool CleanText { get; init; } = true;

    /// <summary>Surround CJK ideographs with spaces, so each becomes its own word.</summary>
    public bool HandleChineseCharacters { get; init; } = true;

    /// <summary>Add [CLS] … [SEP] in the <see cref="Microsoft.ML.Tokenizers.Tokenizer"/> methods that do not say.</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>Words longer than this many characters become the unknown token.</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    public string ContinuingSubwordPrefix { get; init; } = "##";
    public string UnknownToken { get; init; } = "[UNK]";
    public string ClassificationToken { get; init; } = "[CLS]";
    public string SeparatorToken { get; init; } = "[SEP]";
    public string PaddingToken { get; init; } = "[PAD]";
    public string MaskingToken { get; init; } = "[MASK]";
}
