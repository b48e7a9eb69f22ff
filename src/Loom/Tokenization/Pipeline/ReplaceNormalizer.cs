using System.Text.RegularExpressions;

namespace Loom.Tokenization.Pipeline;

/// <summary>Normalizer "Replace": every match of a literal string or a regex becomes <c>content</c>, spanning the match's source.</summary>
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
            var source = text.Source(match.Index, match.Index + match.Length);
            output.Append(content, source.Start.Value, source.End.Value);
            at = match.Index + match.Length;
        }
        output.Copy(text, at, text.Length);
        return output.Build();
    }
}
