namespace Loom.Tokenization;

/// <summary>
/// The pieces of a vocabulary as a trie over chars, so a Viterbi step (or a trainer's lattice) finds every piece starting
/// at a position in time proportional to the longest match rather than to the longest piece, without hashing candidate
/// substrings. The root's children are a direct table.
/// </summary>
internal sealed class PieceTrie
{
    private readonly int[] _root = new int[char.MaxValue + 1]; // char → child of the root, 0 when none
    private readonly Dictionary<long, int> _children = []; // (node << 16 | char) → child
    private readonly List<int> _pieceAt = [-1]; // node → piece id ending there, or −1; node 0 is the root

    /// <summary>A trie of <paramref name="pieces"/>, each piece's id its index.</summary>
    public PieceTrie(IReadOnlyList<string> pieces) : this(pieces.Select((piece, id) => (piece, id))) { }

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

    /// <summary>Sets <paramref name="found"/> to the (end, id) of each piece that <paramref name="text"/>[start..] begins with, shortest first.</summary>
    public void Prefixes(ReadOnlySpan<char> text, int start, List<(int End, int Id)> found)
    {
        found.Clear();
        int node = 0;
        for (int end = start; end < text.Length && TryStep(ref node, text[end]); end++)
            if (_pieceAt[node] >= 0) found.Add((end + 1, _pieceAt[node]));
    }
}
