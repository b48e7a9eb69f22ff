namespace Loom.Tokenization;

/// <summary>
/// The seed vocabulary of Unigram training: the substrings of the words that occur at least a minimum number of times,
/// ranked as SentencePiece ranks them (occurrences × length). Counted length by length: a substring can be frequent only
/// if the two one shorter inside it (at its start and one on) are, so each word remembers which of its positions start a
/// frequent substring of the last length and only those candidates are counted; memory stays bounded by the frequent
/// substrings of one length plus the seeds kept.
/// </summary>
internal static class UnigramSeeds
{
    /// <param name="words">Distinct words and their counts.</param>
    /// <param name="allowed">Whether a substring may be a seed (e.g. not when it holds a rare character).</param>
    /// <returns>At most <paramref name="maxSeeds"/> substrings of 2 to <paramref name="maxLength"/> UTF-16 units that start
    /// and end on character boundaries, with their occurrence counts.</returns>
    public static List<(string Piece, long Count)> Find(string[] words, long[] counts, int maxLength, long minCount, int maxSeeds,
        Func<string, bool> allowed, int threads, CancellationToken cancellationToken)
    {
        var seeds = new List<(string Piece, long Count)>();
        // frequent[w][i]: word w's substring of the current length at i occurs at least minCount times (all true for length 0).
        var frequent = words.Select(w => Enumerable.Repeat(true, w.Length).ToArray()).ToArray();
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        for (int length = 1; length <= maxLength; length++)
        {
            var occurrences = Count(words, counts, frequent, length, options);
            if (occurrences.Count == 0) break;
            var lookup = occurrences.GetAlternateLookup<ReadOnlySpan<char>>();
            Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, words.Length, 4096), options, range =>
            {
                for (int w = range.Item1; w < range.Item2; w++)
                {
                    var word = words[w].AsSpan();
                    var flags = frequent[w];
                    // In place: flags[i + 1] still holds the shorter length when flags[i] is rewritten.
                    for (int i = 0; i < flags.Length; i++)
                        flags[i] = i + length <= word.Length && flags[i] && (length == 1 || flags[i + 1]) && lookup[word.Slice(i, length)] >= minCount;
                }
            });
            if (length == 1) continue;
            foreach (var (piece, count) in occurrences)
                if (count >= minCount && !char.IsLowSurrogate(piece[0]) && !char.IsHighSurrogate(piece[^1]) && allowed(piece))
                    seeds.Add((piece, count));
            if (seeds.Count > 2 * maxSeeds) Trim(seeds, maxSeeds);
        }
        Trim(seeds, maxSeeds);
        return seeds;
    }

    private static void Trim(List<(string Piece, long Count)> seeds, int maxSeeds)
    {
        seeds.Sort((a, b) =>
        {
            long x = a.Count * a.Piece.Length, y = b.Count * b.Piece.Length;
            return x != y ? y.CompareTo(x) : string.CompareOrdinal(a.Piece, b.Piece);
        });
        if (seeds.Count > maxSeeds) seeds.RemoveRange(maxSeeds, seeds.Count - maxSeeds);
    }

    /// <summary>Occurrences of the substrings of <paramref name="length"/> whose two shorter inner substrings are frequent.</summary>
    private static Dictionary<string, long> Count(string[] words, long[] counts, bool[][] frequent, int length, ParallelOptions options)
    {
        var partials = new List<Dictionary<string, long>>();
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, words.Length, 4096), options,
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (range, _, local) =>
            {
                var lookup = local.GetAlternateLookup<ReadOnlySpan<char>>();
                for (int w = range.Item1; w < range.Item2; w++)
                {
                    var word = words[w].AsSpan();
                    var flags = frequent[w];
                    for (int i = 0; i + length <= word.Length; i++)
                    {
                        if (!flags[i] || (length > 1 && !flags[i + 1])) continue;
                        var piece = word.Slice(i, length);
                        lookup[piece] = lookup.TryGetValue(piece, out long c) ? c + counts[w] : counts[w];
                    }
                }
                return local;
            },
            local => { lock (partials) partials.Add(local); });
        var total = partials.MaxBy(p => p.Count) ?? [];
        foreach (var partial in partials)
        {
            if (ReferenceEquals(partial, total)) continue;
            foreach (var (piece, count) in partial) total[piece] = total.GetValueOrDefault(piece) + count;
        }
        return total;
    }
}
