namespace Loom.Tokenization.Pipeline;

/// <summary>Model "WordLevel": each pre-tokenized piece is one token, or the unknown token when it is not in the vocabulary.</summary>
internal sealed class WordLevelModel(string[] tokens, Dictionary<string, int> vocabulary, int unknownId) : IWordModel
{
    public IReadOnlyList<string> Tokens => tokens;

    public void Tokenize(string piece, List<(int Id, int Start, int End)> output) =>
        output.Add((vocabulary.TryGetValue(piece, out int id) ? id : unknownId, 0, piece.Length));
}
