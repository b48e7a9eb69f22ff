namespace Loom.Tokenization;

/// <summary>
/// The pieces of a vocabulary as a trie over chars, so a Viterbi step finds every piece starting at a position in
/// time proportional to the longest match rather than to the longest piece. The root's children are a direct table.
/// </summary>
internal sealed class PieceTrie
{
    private readonly int[] _root = new int[char.MaxValue + 1]; // char → child of the root, 0 when none
    private readonly Dictionary<long, int> _children = []; // (node << 16 | char) → child
    private readonly List<int> _pieceAt = [-1]; // node → piece id ending there, or −1; node 0 is the root

    public PieceTrie(IEnumerable<(string Piece, int Id)> pieces)
    {
        foreach (var (piece, id) in pieces)
        {
            int node = 0;
            foreach (char c in piece)
            {
                int next = node;
                if (!TryStep(ref next, c))
                {
                    next = _pieceAt.Count;
                    _pieceAt.Add(-1);
                    if (node == 0) _root[c] = next;
                    else _children[(long)node << 16 | c] = next;
                }
                node = next;
            }
            _pieceAt[node] = id;
        }
    }

    /// <summary>Moves from <paramref name="node"/> (0: the root) along <paramref name="c"/>; false when no piece continues so.</summary>
    public bool TryStep(ref int node, char c)
    {
        if (node == 0) return (node = _root[c]) != 0;
        return _children.TryGetValue((long)node << 16 | c, out node);
    }

    /// <summary>The id of the piece that ends at <paramref name="node"/>, or −1.</summary>
    public int PieceAt(int node) => _pieceAt[node];
}
