using System.Runtime.InteropServices;

namespace Loom.Embeddings;

/// <summary>
/// A corpus as the trainer reads it: the vocabulary (tokens seen at least min-count times, most frequent first), their
/// counts, and every sentence's kept tokens as ids in one contiguous array (sentence s is Tokens[Ends[s-1]..Ends[s]]).
/// </summary>
internal sealed class Word2VecEncodedCorpus
{
    private Word2VecEncodedCorpus(string[] vocabulary, long[] counts, int[] tokens, int[] ends)
    {
        Vocabulary = vocabulary;
        Counts = counts;
        Tokens = tokens;
        Ends = ends;
        for (int s = 0, start = 0; s < ends.Length; start = ends[s++]) LongestSentence = Math.Max(LongestSentence, ends[s] - start);
    }

    public string[] Vocabulary { get; }
    public long[] Counts { get; }
    public int[] Tokens { get; }
    public int[] Ends { get; }
    public int LongestSentence { get; }

    /// <summary>Words the corpus holds in the vocabulary (what one epoch trains on before subsampling).</summary>
    public long Words => Tokens.Length;

    public int SentenceStart(int sentence) => sentence == 0 ? 0 : Ends[sentence - 1];

    public static Word2VecEncodedCorpus Build(IEnumerable<IEnumerable<string>> sentences, int minCount, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var counts = new List<long>();
        var tokens = new IntBuffer();
        var ends = new IntBuffer();
        foreach (var sentence in sentences)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var token in sentence)
            {
                ref int id = ref CollectionsMarshal.GetValueRefOrAddDefault(ids, token, out bool exists);
                if (!exists)
                {
                    id = ids.Count - 1;
                    counts.Add(0);
                }
                counts[id]++;
                tokens.Add(id);
            }
            ends.Add(tokens.Count);
        }
        // Most frequent first, as word2vec orders its vocabulary; ties by token for determinism.
        var kept = ids.Where(e => counts[e.Value] >= minCount)
            .OrderByDescending(e => counts[e.Value]).ThenBy(e => e.Key, StringComparer.Ordinal).ToArray();
        var remap = new int[ids.Count];
        Array.Fill(remap, -1);
        for (int i = 0; i < kept.Length; i++) remap[kept[i].Value] = i;
        // Drop rare tokens and empty sentences in place.
        var all = tokens.Items;
        int written = 0, sentencesWritten = 0, start = 0;
        for (int s = 0; s < ends.Count; s++)
        {
            int end = ends.Items[s], before = written;
            for (int t = start; t < end; t++)
                if (remap[all[t]] is var id and >= 0) all[written++] = id;
            if (written > before) ends.Items[sentencesWritten++] = written;
            start = end;
        }
        return new Word2VecEncodedCorpus(kept.Select(e => e.Key).ToArray(), kept.Select(e => counts[e.Value]).ToArray(),
            all.AsSpan(0, written).ToArray(), ends.Items.AsSpan(0, sentencesWritten).ToArray());
    }

    /// <summary>A growable int array with a clear error past the largest array .NET allows.</summary>
    private sealed class IntBuffer
    {
        public int[] Items = new int[1024];
        public int Count;

        public void Add(int value)
        {
            if (Count == Items.Length)
            {
                if (Count == Array.MaxLength) throw new ArgumentException($"the corpus holds more than {Array.MaxLength:N0} tokens or sentences; train on a part of it");
                Array.Resize(ref Items, (int)Math.Min(Array.MaxLength, 2L * Count));
            }
            Items[Count++] = value;
        }
    }
}
