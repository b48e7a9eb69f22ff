namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Model "WordPiece": greedy longest match from the left, pieces after the first carrying the continuing-subword
/// prefix; a piece longer than max_input_chars_per_word code points, or one with an unmatchable remainder, is the
/// unknown token as a whole.
/// </summary>
internal sealed class WordPieceModel(string[] tokens, Dictionary<string, int> vocabulary, int unknownId, string prefix, int maxCharsPerWord) : IWordModel
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();

    public IReadOnlyList<string> Tokens => tokens;

    public void Tokenize(string piece, List<(int Id, int Start, int End)> output)
    {
        int codePoints = 0;
        for (int i = 0; i < piece.Length; i++) if (!char.IsLowSurrogate(piece[i]) || i == 0 || !char.IsHighSurrogate(piece[i - 1])) codePoints++;
        if (codePoints > maxCharsPerWord) { output.Add((unknownId, 0, piece.Length)); return; }
        int first = output.Count;
        var buffer = new char[prefix.Length + piece.Length];
        prefix.CopyTo(buffer);
        for (int start = 0; start < piece.Length;)
        {
            int found = -1, foundEnd = 0;
            for (int end = piece.Length; end > start; end--)
            {
                if (end < piece.Length && char.IsLowSurrogate(piece[end]) && char.IsHighSurrogate(piece[end - 1])) continue;
                ReadOnlySpan<char> key;
                if (start == 0) key = piece.AsSpan(0, end);
                else
                {
                    piece.AsSpan(start, end - start).CopyTo(buffer.AsSpan(prefix.Length));
                    key = buffer.AsSpan(0, prefix.Length + end - start);
                }
                if (_lookup.TryGetValue(key, out int id)) { found = id; foundEnd = end; break; }
            }
            if (found < 0)
            {
                output.RemoveRange(first, output.Count - first);
                output.Add((unknownId, 0, piece.Length));
                return;
            }
            output.Add((found, start, foundEnd));
            start = foundEnd;
        }
    }
}
