using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>Decoder "Metaspace": the replacement becomes a space, and the first token's leading space is dropped unless prepend_scheme is "never".</summary>
internal sealed class MetaspaceDecoder(char replacement, bool dropsLeadingSpace) : IDecoderStage
{
    public string Decode(IEnumerable<string> tokens)
    {
        var text = new StringBuilder();
        int index = 0;
        foreach (var token in tokens)
        {
            var piece = token.Replace(replacement, ' ');
            text.Append(index++ == 0 && dropsLeadingSpace && piece.StartsWith(' ') ? piece.AsSpan(1) : piece);
        }
        return text.ToString();
    }
}
