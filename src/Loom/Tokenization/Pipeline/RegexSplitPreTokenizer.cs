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
        if (!invert) { SplitBehaviors.Split(piece, matches, behavior, output); return; }
        // Inverted: the gaps between matches are the delimiters.
        var gaps = new List<(int, int)>();
        int at = 0;
        foreach (var (start, end) in matches)
        {
            if (start > at) gaps.Add((at, start));
            at = end;
        }
        if (at < piece.Length) gaps.Add((at, piece.Length));
        SplitBehaviors.Split(piece, gaps, behavior, output);
    }
}
