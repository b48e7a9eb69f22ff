using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>The ML.Tokenizers result of an encoding cut to <c>EncodeSettings.MaxTokenCount</c>: the tokens kept and how
/// many characters of the input they cover.</summary>
internal static class TokenTruncation
{
    public static EncodeResults<EncodedToken> Results(List<EncodedToken> tokens, int textLength, int maxTokenCount)
    {
        if (tokens.Count <= maxTokenCount) return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = textLength };
        var kept = tokens.GetRange(0, maxTokenCount);
        int consumed = kept.Select(t => t.Offset.End.Value).DefaultIfEmpty(0).Max();
        return new EncodeResults<EncodedToken> { Tokens = kept, NormalizedText = null, CharsConsumed = consumed };
    }
}
