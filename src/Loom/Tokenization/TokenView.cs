using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>One token as a reader sees it: the text it covers, its id, and its span in the input.</summary>
/// <param name="Text">
/// The input characters the token covers that no earlier token covered: empty for added tokens such as [CLS], and for
/// the second and later byte-level tokens of one character (an emoji can take three tokens).
/// </param>
/// <param name="Id">The token id.</param>
/// <param name="Span">Where the token is in the input.</param>
/// <param name="Token">The vocabulary entry (e.g. "##ing", "Ġthe").</param>
public readonly record struct TokenView(string Text, int Id, Range Span, string Token)
{
    /// <summary>The tokens of <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<TokenView> Of(Tokenizer tokenizer, string text)
    {
        var tokens = tokenizer.EncodeToTokens(text, out var normalized);
        // Offsets refer to the normalised text when the tokenizer reports one, otherwise to the input.
        var source = normalized ?? text;
        var views = new TokenView[tokens.Count];
        int covered = 0;
        for (int i = 0; i < views.Length; i++)
        {
            var (start, length) = tokens[i].Offset.GetOffsetAndLength(source.Length);
            int from = Math.Max(start, covered), end = start + length;
            // Some byte-level tokenizers give the bytes of an astral character half of its surrogate pair: widen to all of it.
            if (end > 0 && end < source.Length && char.IsHighSurrogate(source[end - 1]) && char.IsLowSurrogate(source[end])) end++;
            views[i] = new TokenView(from < end ? source[from..end] : "", tokens[i].Id, tokens[i].Offset, tokens[i].Value);
            covered = Math.Max(covered, end);
        }
        return views;
    }
}
