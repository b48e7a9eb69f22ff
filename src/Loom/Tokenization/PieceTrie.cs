namespace Loom.Tokenization;

/// <summary>
/// The pieces of a vocabulary as a trie over chars, so a Viterbi step finds every piece starting at a position in
/// time proportional to the longest match rather than to the longest piece.
/// </summary>
internal sealed class PieceTrie
{
    private readonly Dictionary<(int Node, char Char), int> _children = [];
    private readonly List<int> _pieceAt = [-1]; // node → piece id ending there, or −1; node 0 is the root

    public PieceTrie(IEnumerable<(string Piece, int Id)> pieces)
    {
        foreach (var (piece, id) in pieces)
        {
            int node = 0;
            foreach (char c in piece)
            {
                if (!_children.TryGetValue((node, c), out int child))
                {
                    child = _pieceAt.Count;
                    _pieceAt.Add(-1);
                    _children[(node, c)] = child;
                }
                node = child;
            }
            _pieceAt[node] = id;
        }
    }

    /// <summary>Moves from <paramref name="node"/> (0: the root) along <paramref name="c"/>; false when no piece continues so.</summary>
    public bool TryStep(ref int node, char c) => _children.TryGetValue((node, c), out node);

    /// <summary>The id of the piece that ends at <paramref name="node"/>, or −1.</summary>
    public int PieceAt(int node) => _pieceAt[node];
}
