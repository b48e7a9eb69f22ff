namespace Loom.Tokenization.Pipeline;

/// <summary>Normalizer "Precompiled" (SentencePiece's charsmap) as a pipeline stage, spans carried through <see cref="PrecompiledNormalizer"/>.</summary>
internal sealed class PrecompiledStage(PrecompiledNormalizer normalizer) : INormalizerStage
{
    public NormalizedText Apply(NormalizedText text)
    {
        var (result, start, end) = normalizer.Normalize(text.Text.AsSpan());
        var sourceStart = new int[result.Length];
        var sourceEnd = new int[result.Length];
        for (int i = 0; i < result.Length; i++) (sourceStart[i], sourceEnd[i]) = (text.Start[start[i]], text.End[end[i] - 1]);
        return new NormalizedText(result, sourceStart, sourceEnd);
    }
}
