namespace Loom.Embeddings;

/// <summary>
/// The training work as a queue of chunks of consecutive sentences (about <see cref="ChunkWords"/> tokens each), epoch
/// after epoch, handed out in corpus order to whichever thread asks next. A thread that is slowed down (a busy core)
/// simply takes fewer chunks, so every part of the corpus is trained while the learning rate is where its position in
/// the schedule says — unlike fixed per-thread shares, where a starved thread trains its share at a decayed rate.
/// </summary>
internal sealed class Word2VecChunks
{
    private const int ChunkWords = 10_000;

    private readonly int[] _starts; // chunk c covers sentences [_starts[c], _starts[c + 1])
    private readonly int _epochs;
    private int _next = -1;

    public Word2VecChunks(Word2VecEncodedCorpus corpus, int epochs)
    {
        var starts = new List<int> { 0 };
        int chunkStart = 0;
        for (int s = 0; s < corpus.Ends.Length; s++)
            if (corpus.Ends[s] - chunkStart >= ChunkWords && s + 1 < corpus.Ends.Length)
            {
                starts.Add(s + 1);
                chunkStart = corpus.Ends[s];
            }
        starts.Add(corpus.Ends.Length);
        _starts = [.. starts];
        _epochs = epochs;
    }

    /// <summary>The next chunk's sentences [first, end); false when every epoch has been handed out.</summary>
    public bool TryTake(out int first, out int end)
    {
        int chunks = _starts.Length - 1;
        int taken = Interlocked.Increment(ref _next);
        if (taken >= (long)chunks * _epochs)
        {
            first = end = 0;
            return false;
        }
        int c = taken % chunks;
        (first, end) = (_starts[c], _starts[c + 1]);
        return true;
    }
}
