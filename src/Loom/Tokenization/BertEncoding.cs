namespace Loom.Tokenization;

/// <summary>How <see cref="BertWordPieceTokenizer.Encode(string, string?, BertEncodeOptions?)"/> shapes its output.</summary>
public sealed record BertEncodeOptions
{
    /// <summary>Add [CLS] A [SEP] (B [SEP]).</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>Truncate to at most this many tokens, special tokens included (longest sequence first for pairs).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Pad with [PAD] (attention mask 0) up to this length; in a batch, null pads to the longest.</summary>
    public int? PadToLength { get; init; }
}

/// <summary>
/// One encoded input as a BERT model takes it: ids, segment (token type) ids, attention mask, and per token its text
/// and its span in the input it came from (empty for special and padding tokens).
/// </summary>
public sealed record BertEncoding(int[] Ids, int[] TypeIds, int[] AttentionMask, string[] Tokens, Range[] Offsets)
{
    public int Length => Ids.Length;
}
