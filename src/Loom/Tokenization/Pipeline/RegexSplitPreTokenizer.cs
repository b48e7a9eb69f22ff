using System.Text.RegularExpressions;

namespace Loom.Tokenization.Pipeline;

/// <summary>Pre-tokenizer "Split": matches of a literal string or regex are the delimiters (or, inverted, the kept pieces).</summary>
internal sealed class RegexSplitPreTokenizer(Regex pattern, SplitBehavior behavior, bool invert) : IPreTokenizerStage
{
    public void Split(NormalizedText piece, List<NormalizedText> output)
    {
        var matches = new List<(int Start, int End)>();
        foreach (Match m in pattern.Matches(piece.Text))
            if (m.Length > 0) matches.Add((m.Index, m.Index + m.Length));
        // Inverted, the matches are kept and the text between them is the delimiter.
        var parts = SplitBehaviors.Parts(matches, piece.Length);
        if (invert) parts = parts.Select(p => (p.Start, p.End, !p.Match)).ToList();
        SplitBehaviors.Split(piece, parts, behavior, output);
    }
}
