namespace Loom.Tokenization.Pipeline;

/// <summary>The "decoder" of a tokenizer.json: the tokens of some ids (special tokens already left out) back to text.</summary>
internal interface IDecoderStage
{
    string Decode(IEnumerable<string> tokens);
}
