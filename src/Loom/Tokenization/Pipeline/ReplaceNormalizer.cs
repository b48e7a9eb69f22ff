using System.Text.RegularExpressions;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Normalizer "Replace": every match of a literal string or a regex becomes <c>content</c>. As in HF, the new chars take
/// the source span of the match's last char (this decides, e.g., whether Metaspace's "first" sees the text's start).
/// </summary>
internal sealed class ReplaceNormalizer(Regex pattern, string content) : INormalizerStage
{
    public NormalizedText Apply(NormalizedText text)
    {
        var output = new NormalizedText.Builder();
        int at = 0;
        foreach (Match match in pattern.Matches(text.Text))
        {
            if (match.Length == 0) continue;
            output.Copy(text, at, match.Index);
            int last = match.Index + match.Length - 1;
            output.Append(content, text.Start[last], text.End[last]);
            at = match.Index + match.Length;
        }
        output.Copy(text, at, text.Length);
        return output.Build();
    }
}
