namespace Loom.Tokenization.Pipeline;

/// <summary>One normalizer of a tokenizer.json ("normalizer"): text in, text out, char spans carried along.</summary>
internal interface INormalizerStage
{
    NormalizedText Apply(NormalizedText text);
}
