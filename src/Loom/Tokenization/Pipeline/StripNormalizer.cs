using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>Normalizer "Strip": removes white space (Unicode White_Space) from the left and/or right end.</summary>
internal sealed class StripNormalizer(bool left, bool right) : INormalizerStage
{
    public NormalizedText Apply(NormalizedText text)
    {
        int from = 0, to = text.Length;
        if (left) while (from < to && char.IsWhiteSpace(text.Text[from])) from++;
        if (right) while (to > from && char.IsWhiteSpace(text.Text[to - 1])) to--;
        return from == 0 && to == text.Length ? text : text.Slice(from, to);
    }
}
