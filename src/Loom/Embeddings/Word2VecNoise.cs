namespace Loom.Embeddings;

/// <summary>
/// The negative-sampling noise distribution, P(w) ∝ count(w)^0.75, sampled in O(1) by Walker's alias method: one
/// 8-byte entry per word (a vocabulary of 100k words takes 800 KB, which stays in cache, where word2vec's 100M-slot
/// table does not) and exact probabilities instead of a table's rounding.
/// </summary>
internal sealed class Word2VecNoise
{
    private readonly Entry[] _entries;

    /// <summary>Slot i returns i when the low 32 random bits fall below Threshold, else Alias.</summary>
    private readonly record struct Entry(uint Threshold, int Alias);

    public Word2VecNoise(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        var scaled = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) total += scaled[i] = Math.Pow(counts[i], 0.75);
        for (int i = 0; i < n; i++) scaled[i] *= n / total;
        // Vose: pair each under-full slot with an over-full word that tops it up.
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = 0; i < n; i++) (scaled[i] < 1 ? small : large).Push(i);
        _entries = new Entry[n];
        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Peek();
            _entries[s] = new Entry((uint)(scaled[s] * 4294967296.0), l);
            scaled[l] -= 1 - scaled[s];
            if (scaled[l] < 1) small.Push(large.Pop());
        }
        // What is left holds probability 1 up to rounding.
        foreach (int i in small.Concat(large)) _entries[i] = new Entry(uint.MaxValue, i);
    }

    /// <summary>A word drawn from the noise distribution with 64 random bits (high half: slot, low half: coin).</summary>
    public int Sample(ulong random)
    {
        int slot = (int)(((random >> 32) * (ulong)_entries.Length) >> 32);
        var entry = _entries[slot];
        return (uint)random < entry.Threshold ? slot : entry.Alias;
    }
}
