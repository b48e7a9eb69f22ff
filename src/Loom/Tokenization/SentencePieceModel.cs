namespace Loom.Tokenization;

/// <summary>The kind of a piece in a SentencePiece model (ModelProto.SentencePiece.Type).</summary>
public enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>The segmentation algorithm a SentencePiece model was trained for (TrainerSpec.model_type).</summary>
public enum SentencePieceAlgorithm
{
    Unigram = 1,
    Bpe = 2,
    Word = 3,
    Char = 4,
}

/// <summary>One vocabulary entry: its text, score (log probability for Unigram, merge priority for BPE) and kind.</summary>
public readonly record struct SentencePiece(string Piece, float Score, SentencePieceType Type);

/// <summary>
/// How SentencePiece normalises text before segmenting it (NormalizerSpec): a precompiled character map of rewrites
/// (empty for "identity"), a "▁" put in front, runs of spaces squeezed and trimmed, spaces written as "▁".
/// </summary>
public sealed record SentencePieceNormalizerSpec
{
    /// <summary>The rule set's name: nmt_nfkc, nfkc, nmt_nfkc_cf, nfkc_cf, identity or user_defined.</summary>
    public string Name { get; init; } = "";

    /// <summary>The rewrites (precompiled_charsmap); null when there are none, as for "identity".</summary>
    public PrecompiledCharsMap? CharsMap { get; init; }

    public bool AddDummyPrefix { get; init; } = true;
    public bool RemoveExtraWhitespaces { get; init; } = true;
    public bool EscapeWhitespaces { get; init; } = true;
}

/// <summary>A SentencePiece <c>.model</c> file (the ModelProto protobuf): the pieces and what encoding needs from the
/// trainer and normalizer specs.</summary>
public sealed record SentencePieceModel
{
    public required IReadOnlyList<SentencePiece> Pieces { get; init; }
    public SentencePieceAlgorithm Algorithm { get; init; } = SentencePieceAlgorithm.Unigram;
    public bool ByteFallback { get; init; }
    public bool TreatWhitespaceAsSuffix { get; init; }
    public int UnknownId { get; init; }
    public int BeginningOfSentenceId { get; init; } = 1;
    public int EndOfSentenceId { get; init; } = 2;
    public int PaddingId { get; init; } = -1;

    /// <summary>What decoding writes for the unknown piece.</summary>
    public string UnknownSurface { get; init; } = " \u2047 ";

    public SentencePieceNormalizerSpec Normalizer { get; init; } = new();
}
