namespace Loom.Tokenization;

/// <summary>
/// The heart of BPE training, shared by the byte-level BPE and WordPiece trainers: repeatedly merge the most frequent
/// adjacent pair of symbols across the distinct words (weighted by their counts), updating only the words that hold it.
/// </summary>
internal static class BpeMergeLearner
{
    /// <param name="symbols">Initial symbol texts; merged symbols are appended (a text made twice keeps one id).</param>
    /// <param name="words">Each distinct word as symbol ids; rewritten in place.</param>
    /// <param name="counts">How often each word occurs.</param>
    /// <param name="join">The text of a merged pair (concatenation, or WordPiece's "a" + "##b" → "ab").</param>
    /// <returns>The merges in order: left, right and merged text.</returns>
    public static List<(string Left, string Right, string Merged)> Learn(List<string> symbols, List<int>[] words, long[] counts,
        int maxMerges, int minFrequency, Func<string, string, string> join, IProgress<BpeTrainerProgress>? progress, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < symbols.Count; i++) ids[symbols[i]] = i;
        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        // Most frequent pair first; ties to the lower symbol ids, so training is deterministic. Entries go stale when a
        // count changes: the current count is pushed again and stale ones are skipped when popped.
        var queue = new PriorityQueue<(int, int), (long, int, int)>();
        var touched = new HashSet<(int, int)>();
        var queued = new Dictionary<(int, int), long>(); // the count each pair was last queued with
        for (int w = 0; w < words.Length; w++) AddPairs(w, +1);
        foreach (var (pair, count) in pairCounts) { queue.Enqueue(pair, (-count, pair.Item1, pair.Item2)); queued[pair] = count; }
        touched.Clear();
        var merges = new List<(string, string, string)>();
        while (merges.Count < maxMerges && queue.TryDequeue(out var pair, out var priority))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!pairCounts.TryGetValue(pair, out long current) || current != -priority.Item1) continue;
            if (current < minFrequency) break;
            var (left, right) = pair;
            string merged = join(symbols[left], symbols[right]);
            if (!ids.TryGetValue(merged, out int newId))
            {
                newId = symbols.Count;
                symbols.Add(merged);
                ids[merged] = newId;
            }
            merges.Add((symbols[left], symbols[right], merged));
            // Only the pairs around each occurrence change: (prev, left) → (prev, new), (right, next) → (new, next).
            foreach (int w in pairWords[pair].ToArray())
            {
                var word = words[w];
                long c = counts[w];
                for (int i = 0; i + 1 < word.Count; i++)
                {
                    if (word[i] != left || word[i + 1] != right) continue;
                    if (i > 0) { Change((word[i - 1], left), -c, w); Change((word[i - 1], newId), c, w); }
                    if (i + 2 < word.Count) { Change((right, word[i + 2]), -c, w); Change((newId, word[i + 2]), c, w); }
                    Change(pair, -c, w);
                    word[i] = newId;
                    word.RemoveAt(i + 1);
                }
            }
            foreach (var changed in touched)
                if (pairCounts.TryGetValue(changed, out long count) && queued.GetValueOrDefault(changed) != count)
                {
                    queue.Enqueue(changed, (-count, changed.Item1, changed.Item2));
                    queued[changed] = count;
                }
            touched.Clear();
            if (merges.Count % 100 == 0) progress?.Report(new(merges.Count, maxMerges));
        }
        progress?.Report(new(merges.Count, maxMerges));
        return merges;

        void AddPairs(int w, int sign)
        {
            var word = words[w];
            for (int i = 0; i + 1 < word.Count; i++) Change((word[i], word[i + 1]), sign * counts[w], w);
        }

        // A word stays listed under a pair it lost; the merge loop finds no occurrence there and moves on.
        void Change((int, int) pair, long delta, int w)
        {
            touched.Add(pair);
            long count = pairCounts.GetValueOrDefault(pair) + delta;
            if (count <= 0) { pairCounts.Remove(pair); pairWords.Remove(pair); return; }
            pairCounts[pair] = count;
            if (delta > 0)
            {
                if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = [];
                set.Add(w);
            }
        }
    }
}
