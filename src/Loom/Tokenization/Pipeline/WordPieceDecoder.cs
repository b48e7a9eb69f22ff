using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Turns tokens back into text: decoder "WordPiece" (a token with the prefix glued to the one before, others after a
/// space, each token then cleaned of spaces before punctuation and contractions when cleanup is set, as HF does), or,
/// with no decoder, the tokens joined by spaces as HF does.
/// </summary>
internal sealed class WordPieceDecoder(string? prefix, bool cleanup) : IDecoderStage
{
    public static WordPieceDecoder JoinWithSpaces { get; } = new(null, false);

    public string Decode(IEnumerable<string> tokens)
    {
        var text = new StringBuilder();
        int index = 0;
        foreach (var token in tokens)
        {
            var piece = index++ == 0 ? token
                : prefix is not null && token.StartsWith(prefix, StringComparison.Ordinal) ? token[prefix.Length..] : " " + token;
            text.Append(cleanup ? Cleanup(piece) : piece);
        }
        return text.ToString();
    }

    private static string Cleanup(string token) =>
        token.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'").Replace(" n't", "n't")
            .Replace(" 'm", "'m").Replace(" do not", " don't").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
}
