namespace Loom.Tokenization.Pipeline;

/// <summary>What a splitting pre-tokenizer does with the delimiters it finds (HF's SplitDelimiterBehavior).</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

internal static class SplitBehaviors
{
    public static SplitBehavior? Parse(string? name) => name switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => null,
    };

    /// <summary>The piece cut into matches (ordered, non-overlapping, non-empty) and the gaps between them, in order.</summary>
    public static List<(int Start, int End, bool Match)> Parts(IReadOnlyList<(int Start, int End)> matches, int length)
    {
        var parts = new List<(int Start, int End, bool Match)>();
        int at = 0;
        foreach (var (start, end) in matches)
        {
            if (start > at) parts.Add((at, start, false));
            parts.Add((start, end, true));
            at = end;
        }
        if (at < length) parts.Add((at, length, false));
        return parts;
    }

    /// <summary>Cuts <paramref name="piece"/> at the (ordered, non-overlapping, non-empty) delimiter spans.</summary>
    public static void Split(NormalizedText piece, IReadOnlyList<(int Start, int End)> delimiters, SplitBehavior behavior, List<NormalizedText> output) =>
        Split(piece, Parts(delimiters, piece.Length), behavior, output);

    /// <summary>Cuts <paramref name="piece"/> into <paramref name="pieces"/> (covering it in order), treating the delimiters by <paramref name="behavior"/>.</summary>
    public static void Split(NormalizedText piece, IReadOnlyList<(int Start, int End, bool Delimiter)> pieces, SplitBehavior behavior, List<NormalizedText> output)
    {
        var parts = new List<(int Start, int End, bool Delimiter)>();
        foreach (var part in pieces)
            if (behavior == SplitBehavior.Contiguous && part.Delimiter && parts.Count > 0 && parts[^1].Delimiter) parts[^1] = (parts[^1].Start, part.End, true);
            else parts.Add(part);
        int pendingStart = -1; // MergedWithNext: where the delimiter waiting for the next piece starts
        for (int i = 0; i < parts.Count; i++)
        {
            var (start, end, delimiter) = parts[i];
            switch (behavior)
            {
                case SplitBehavior.Removed when delimiter:
                    continue;
                case SplitBehavior.MergedWithPrevious when delimiter && output.Count > 0 && i > 0 && !parts[i - 1].Delimiter:
                    output[^1] = piece.Slice(parts[i - 1].Start, end);
                    continue;
                case SplitBehavior.MergedWithNext when delimiter:
                    if (pendingStart >= 0) output.Add(piece.Slice(pendingStart, start));
                    pendingStart = start;
                    continue;
                case SplitBehavior.MergedWithNext when pendingStart >= 0:
                    output.Add(piece.Slice(pendingStart, end));
                    pendingStart = -1;
                    continue;
                default:
                    output.Add(piece.Slice(start, end));
                    break;
            }
        }
        if (pendingStart >= 0) output.Add(piece.Slice(pendingStart, piece.Length));
    }
}
