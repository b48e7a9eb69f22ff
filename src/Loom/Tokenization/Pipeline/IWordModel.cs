namespace Loom.Tokenization.Pipeline;

/// <summary>The "model" of a tokenizer.json on the generic path: one pre-tokenized piece in, its tokens out.</summary>
internal interface IWordModel
{
    IReadOnlyList<string> Tokens { get; }

    /// <summary>Appends the piece's tokens as (id, first char, end char) within the piece.</summary>
    void Tokenize(string piece, List<(int Id, int Start, int End)> output);
}
