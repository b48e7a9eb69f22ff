namespace Loom.Tokenization.Pipeline;

/// <summary>Model "Unigram" on the generic pipeline: <see cref="UnigramTokenizer"/>'s Viterbi over each pre-tokenized piece.</summary>
internal sealed class UnigramModel(string[] tokens, UnigramTokenizer unigram) : IWordModel
{
    public IReadOnlyList<string> Tokens => tokens;

    public void Tokenize(string piece, List<(int Id, int Start, int End)> output) => unigram.Segment(piece, output);
}
