namespace Loom.Tokenization.Pipeline;

/// <summary>Normalizer "Sequence": each stage in turn.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<INormalizerStage> stages) : INormalizerStage
{
    public NormalizedText Apply(NormalizedText text)
    {
        foreach (var stage in stages) text = stage.Apply(text);
        return text;
    }
}
