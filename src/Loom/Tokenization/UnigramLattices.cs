using System.Collections.Concurrent;

namespace Loom.Tokenization;

/// <summary>
/// The lattices of Unigram training: for each distinct word, every occurrence of a vocabulary piece in it (an edge from
/// one character position to another). Found once through a trie; afterwards EM and Viterbi only walk the edges, and pruning
/// the vocabulary only drops and renumbers them. A character no piece covers gets an unknown edge (piece −1).
/// </summary>
internal sealed class UnigramLattices
{
    private readonly record struct Edge(int Start, int End, int Piece);

    private readonly string[] _words;
    private readonly long[] _counts;
    private readonly Edge[][] _edges;
    private readonly int _threads;
    private const int Chunks = 8;

    public UnigramLattices(string[] words, long[] counts, IReadOnlyList<string> pieces, int threads, CancellationToken cancellationToken)
    {
        _words = words;
        _counts = counts;
        _threads = threads;
        _edges = new Edge[words.Length][];
        var trie = new PieceTrie(pieces);
        ForEachWord(cancellationToken, () => new List<(int End, int Id)>(), (w, found) =>
        {
            var word = _words[w].AsSpan();
            var edges = new List<Edge>();
            for (int start = 0; start < word.Length; start++)
            {
                if (char.IsLowSurrogate(word[start]) && start > 0 && char.IsHighSurrogate(word[start - 1])) continue;
                int charEnd = start + CharLength(word, start);
                bool single = false;
                trie.Prefixes(word, start, found);
                foreach (var (end, id) in found)
                {
                    if (end < word.Length && char.IsLowSurrogate(word[end]) && char.IsHighSurrogate(word[end - 1])) continue;
                    single |= end == charEnd;
                    edges.Add(new Edge(start, end, id));
                }
                if (!single) edges.Add(new Edge(start, charEnd, -1));
            }
            _edges[w] = [.. edges];
        });
    }

    /// <summary>One character: a surrogate pair or a single UTF-16 unit (a lone surrogate included).</summary>
    internal static int CharLength(ReadOnlySpan<char> text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;

    /// <summary>The E-step: adds each piece's expected count (forward-backward over every word) to <paramref name="expected"/>.</summary>
    /// <returns>The corpus log-likelihood, Σ count × log P(word).</returns>
    public double Expect(double[] scores, double unknownScore, double[] expected, CancellationToken cancellationToken)
    {
        // A fixed split into chunks, summed in order: the same corpus gives the same sums, hence the same vocabulary, however
        // the threads ran.
        int size = (_words.Length + Chunks - 1) / Chunks;
        var partials = new double[Chunks][];
        var logLikelihoods = new double[Chunks];
        Parallel.For(0, Chunks, Options(cancellationToken), chunk =>
        {
            var local = partials[chunk] = new double[expected.Length];
            double[] a = [], b = [];
            for (int w = chunk * size; w < Math.Min(_words.Length, (chunk + 1) * size); w++)
            {
                var edges = _edges[w];
                int n = _words[w].Length;
                Reset(ref a, n + 1);
                Reset(ref b, n + 1);
                a[0] = 0;
                foreach (var e in edges) a[e.End] = LogAdd(a[e.End], a[e.Start] + Score(e));
                b[n] = 0;
                for (int k = edges.Length - 1; k >= 0; k--) b[edges[k].Start] = LogAdd(b[edges[k].Start], Score(edges[k]) + b[edges[k].End]);
                double z = a[n];
                logLikelihoods[chunk] += _counts[w] * z;
                foreach (var e in edges)
                    if (e.Piece >= 0) local[e.Piece] += _counts[w] * Math.Exp(a[e.Start] + scores[e.Piece] + b[e.End] - z);
            }
        });
        foreach (var partial in partials)
            for (int i = 0; i < expected.Length; i++) expected[i] += partial[i];
        return logLikelihoods.Sum();

        double Score(Edge e) => e.Piece >= 0 ? scores[e.Piece] : unknownScore;
    }

    /// <summary>How often each piece is used by the best (Viterbi) segmentation of every word, weighted by word counts.</summary>
    public long[] ViterbiCounts(double[] scores, double unknownScore, CancellationToken cancellationToken)
    {
        var partials = new ConcurrentBag<long[]>();
        Parallel.ForEach(Partitioner.Create(0, _words.Length, 1024), Options(cancellationToken),
            () => new long[scores.Length],
            (range, _, local) =>
            {
                double[] score = [];
                int[] from = [];
                for (int w = range.Item1; w < range.Item2; w++)
                {
                    var edges = _edges[w];
                    int n = _words[w].Length;
                    Reset(ref score, n + 1);
                    if (from.Length < n + 1) from = new int[score.Length];
                    score[0] = 0;
                    for (int k = 0; k < edges.Length; k++)
                    {
                        var e = edges[k];
                        double s = score[e.Start] + (e.Piece >= 0 ? scores[e.Piece] : unknownScore);
                        if (s > score[e.End]) { score[e.End] = s; from[e.End] = k; }
                    }
                    for (int end = n; end > 0;)
                    {
                        var e = edges[from[end]];
                        if (e.Piece >= 0) local[e.Piece] += _counts[w];
                        end = e.Start;
                    }
                }
                return local;
            },
            partials.Add);
        var total = new long[scores.Length];
        foreach (var partial in partials)
            for (int i = 0; i < total.Length; i++) total[i] += partial[i];
        return total;
    }

    /// <summary>Renumbers pieces after the vocabulary shrank: <paramref name="newIds"/>[old] is the new id, or −1 if dropped.</summary>
    public void Renumber(int[] newIds, CancellationToken cancellationToken) =>
        ForEachWord(cancellationToken, () => 0, (w, _) =>
        {
            var edges = _edges[w];
            int kept = 0;
            foreach (var e in edges)
                if (e.Piece < 0) edges[kept++] = e;
                else if (newIds[e.Piece] >= 0) edges[kept++] = e with { Piece = newIds[e.Piece] };
            if (kept < edges.Length) _edges[w] = edges[..kept];
        });

    /// <summary>Runs <paramref name="body"/>(word, scratch) over the words in parallel, one scratch object per range of words.</summary>
    private void ForEachWord<T>(CancellationToken cancellationToken, Func<T> scratch, Action<int, T> body) =>
        Parallel.ForEach(Partitioner.Create(0, _words.Length, 1024), Options(cancellationToken), range =>
        {
            var local = scratch();
            for (int w = range.Item1; w < range.Item2; w++) body(w, local);
        });

    private ParallelOptions Options(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = _threads, CancellationToken = cancellationToken };

    /// <summary>Makes <paramref name="buffer"/> hold at least <paramref name="length"/> values, the first ones −∞.</summary>
    private static void Reset(ref double[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new double[Math.Max(length, 2 * buffer.Length)];
        buffer.AsSpan(0, length).Fill(double.NegativeInfinity);
    }

    internal static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        return Math.Max(a, b) + Math.Log(1 + Math.Exp(-Math.Abs(a - b)));
    }
}
