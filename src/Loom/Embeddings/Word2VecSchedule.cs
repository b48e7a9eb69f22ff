namespace Loom.Embeddings;

/// <summary>
/// The learning rate shared by all training threads: it falls linearly from its start to its floor as the words
/// processed by every thread add up, as in word2vec and gensim.
/// </summary>
internal sealed class Word2VecSchedule(float start, float floor, long totalWords)
{
    private long _processed;

    public long TotalWords => totalWords;

    public long Processed => Volatile.Read(ref _processed);

    public float Rate => RateAt(Processed);

    /// <summary>Counts <paramref name="words"/> more processed words; returns the learning rate from now on.</summary>
    public float Advance(long words) => RateAt(Interlocked.Add(ref _processed, words));

    private float RateAt(long processed) => Math.Max(floor, start * (1 - processed / (float)(totalWords + 1)));
}
