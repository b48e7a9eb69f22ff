namespace Loom.Tokenization;

/// <summary>
/// The pieces of a vocabulary as a character trie, to find every piece that starts at a position of a word in one walk
/// (one small-key lookup per character) instead of hashing each candidate substring.
/// </summary>
internal sealed class PieceTrie
{
    private readonly Dictionary<long, int> _children = [];
    private readonly List<int> _pieceAt = [-1]; // node → piece id ending there, or −1; node 0 is the root

    public PieceTrie(IReadOnlyList<string> pieces)
    {
        for (int id = 0; id < pieces.Count; id++)
        {
            int node = 0;
            foreach (char c in pieces[id])
            {
                if (!_children.TryGetValue(Key(node, c), out int child))
                {
                    child = _pieceAt.Count;
                    _pieceAt.Add(-1);
                    _children[Key(node, c)] = child;
                }
                node = child;
            }
            _pieceAt[node] = id;
        }
    }

    /// <summary>Sets <paramref name="found"/> to the (end, id) of each piece that <paramref name="text"/>[start..] begins with, shortest first.</summary>
    public void Prefixes(ReadOnlySpan<char> text, int start, List<(int End, int Id)> found)
    {
        found.Clear();
        int node = 0;
        for (int end = start; end < text.Length && _children.TryGetValue(Key(node, text[end]), out node); end++)
            if (_pieceAt[node] >= 0) found.Add((end + 1, _pieceAt[node]));
    }

    private static long Key(int node, char c) => ((long)node << 16) | c;
}
