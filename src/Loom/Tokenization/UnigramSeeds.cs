namespace Loom.Tokenization;

/// <summary>
/// The seed vocabulary of Unigram training: the substrings of the words that occur at least a minimum number of times,
/// ranked as SentencePiece ranks them (occurrences × length). Counted length by length: a substring can be frequent only
/// if both its prefix and its suffix one shorter are, so each round counts only those candidates and memory stays
/// bounded by the frequent substrings of two lengths plus the seeds kept.
/// </summary>
internal static class UnigramSeeds
{
    /// <param name="words">Distinct words and their counts.</param>
    /// <param name="allowed">Whether a character may be part of a seed (rare characters are not).</param>
    /// <returns>At most <paramref name="maxSeeds"/> substrings of 2 to <paramref name="maxLength"/> UTF-16 units that start
    /// and end on character boundaries, with their occurrence counts.</returns>
    public static List<(string Piece, long Count)> Find(string[] words, long[] counts, int maxLength, long minCount, int maxSeeds,
        Func<char, bool> allowed, int threads, CancellationToken cancellationToken)
    {
        var seeds = new List<(string Piece, long Count)>();
        var previous = Count(words, counts, 1, null, threads, cancellationToken);
        previous = previous.Where(e => e.Value >= minCount).ToDictionary(StringComparer.Ordinal);
        for (int length = 2; length <= maxLength && previous.Count > 0; length++)
        {
            var current = Count(words, counts, length, previous, threads, cancellationToken);
            previous = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (piece, count) in current)
            {
                if (count < minCount) continue;
                previous[piece] = count;
                if (!char.IsLowSurrogate(piece[0]) && !char.IsHighSurrogate(piece[^1]) && piece.All(allowed)) seeds.Add((piece, count));
            }
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

    /// <summary>Occurrences of the substrings of <paramref name="length"/> whose shorter prefix and suffix are frequent.</summary>
    private static Dictionary<string, long> Count(string[] words, long[] counts, int length, Dictionary<string, long>? frequent,
        int threads, CancellationToken cancellationToken)
    {
        var frequentLookup = frequent?.GetAlternateLookup<ReadOnlySpan<char>>();
        var partials = new List<Dictionary<string, long>>();
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, words.Length, 4096),
            new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken },
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (range, _, local) =>
            {
                var lookup = local.GetAlternateLookup<ReadOnlySpan<char>>();
                for (int w = range.Item1; w < range.Item2; w++)
                {
                    var word = words[w].AsSpan();
                    for (int i = 0; i + length <= word.Length; i++)
                    {
                        var piece = word.Slice(i, length);
                        if (frequentLookup is { } f && (!f.ContainsKey(piece[..^1]) || !f.ContainsKey(piece[1..]))) continue;
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
