namespace Loom.Tokenization.Pipeline;

/// <summary>Normalizer "Prepend": puts <c>prepend</c> before non-empty text (an empty span at the text's start).</summary>
internal sealed class PrependNormalizer(string prepend) : INormalizerStage
{
    public NormalizedText Apply(NormalizedText text)
    {
        if (text.Length == 0) return text;
        var output = new NormalizedText.Builder();
        output.Append(prepend, text.Start[0], text.Start[0]);
        output.Copy(text, 0, text.Length);
        return output.Build();
    }
}
