namespace Loom.Tokenization.Pipeline;

/// <summary>Pre-tokenizer "Sequence" (and "BertPreTokenizer", which is WhitespaceSplit then Punctuation): each stage over every piece.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizerStage> stages) : IPreTokenizerStage
{
    public void Split(NormalizedText piece, List<NormalizedText> output)
    {
        var pieces = new List<NormalizedText> { piece };
        foreach (var stage in stages)
        {
            var next = new List<NormalizedText>();
            foreach (var p in pieces) stage.Split(p, next);
            pieces = next;
        }
        output.AddRange(pieces);
    }
}
