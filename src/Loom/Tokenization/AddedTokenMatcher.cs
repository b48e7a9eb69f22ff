namespace Loom.Tokenization;

/// <summary>Finds added (special) tokens in raw text as HF tokenizers does: leftmost first, then longest.</summary>
internal static class AddedTokenMatcher
{
    /// <summary>The index of the next added token in <paramref name="text"/> (its length and id as out values), or the
    /// text's length with <paramref name="id"/> −1 when none follows.</summary>
    public static int FindNext(ReadOnlySpan<char> text, IReadOnlyDictionary<string, int> added, out int length, out int id)
    {
        int next = text.Length;
        length = 0;
        id = -1;
        foreach (var (token, tokenId) in added)
        {
            int at = text.IndexOf(token, StringComparison.Ordinal);
            if (at >= 0 && (at < next || (at == next && token.Length > length))) { next = at; length = token.Length; id = tokenId; }
        }
        return next;
    }
}
