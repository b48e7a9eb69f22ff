namespace Loom.Tokenization.Pipeline;

/// <summary>One pre-tokenizer of a tokenizer.json ("pre_tokenizer"): cuts a piece of normalized text into smaller pieces.</summary>
internal interface IPreTokenizerStage
{
    void Split(NormalizedText piece, List<NormalizedText> output);
}
