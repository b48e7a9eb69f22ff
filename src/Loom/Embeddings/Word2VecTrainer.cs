namespace Loom.Embeddings;

/// <summary>
/// Trains word2vec (skip-gram or CBOW with negative sampling, frequent-word subsampling, linear learning-rate decay)
/// on any sequences of tokens — words of sentences, or songs of playlists. The threads take chunks of consecutive
/// sentences in corpus order from a shared queue and update the shared vectors without locks, as the original word2vec
/// does (Hogwild): a rare lost update costs nothing measurable.
/// </summary>
public static class Word2VecTrainer
{
    /// <summary>How often the calling thread reports progress while the training threads run.</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);

    /// <exception cref="ArgumentException">no token occurs <see cref="Word2VecOptions.MinCount"/> times</exception>
    /// <exception cref="OperationCanceledException">cancelled (checked between sentences)</exception>
    public static Word2VecModel Train(IEnumerable<IEnumerable<string>> sentences, Word2VecOptions? options = null,
        IProgress<Word2VecProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new Word2VecOptions();
        options.Validate();
        var corpus = Word2VecEncodedCorpus.Build(sentences, options.MinCount, cancellationToken);
        if (corpus.Vocabulary.Length == 0) throw new ArgumentException($"no token occurs at least {options.MinCount} times", nameof(sentences));
        int dims = options.Dimensions;
        var input = new float[(long)corpus.Vocabulary.Length * dims];
        var output = new float[input.Length];
        var random = new Random(options.Seed);
        for (int i = 0; i < input.Length; i++) input[i] = (random.NextSingle() - 0.5f) / dims;
        float start = options.LearningRate ?? (options.Architecture == Word2VecArchitecture.SkipGram ? 0.025f : 0.05f);
        var schedule = new Word2VecSchedule(start, options.MinLearningRate, corpus.Words * options.Epochs);
        var worker = new Word2VecWorker(corpus, options, new Word2VecNoise(corpus.Counts), KeepBelow(corpus.Counts, options.Sample),
            input, output, schedule);

        var chunks = new Word2VecChunks(corpus, options.Epochs);
        int threadCount = Math.Min(options.Threads, corpus.Ends.Length);
        var errors = new Exception?[threadCount];
        var threads = new Thread[threadCount];
        for (int t = 0; t < threadCount; t++)
        {
            int id = t;
            ulong seed = (ulong)options.Seed * 0x9E3779B97F4A7C15UL + (ulong)id * 0xBF58476D1CE4E5B9UL;
            threads[t] = new Thread(() =>
            {
                try { worker.Run(chunks, seed, cancellationToken); }
                catch (Exception e) { errors[id] = e; }
            }) { IsBackground = true, Name = $"word2vec {id}" };
            threads[t].Start();
        }
        foreach (var thread in threads)
            while (!thread.Join(ProgressInterval)) progress?.Report(new(schedule.Processed, schedule.TotalWords, schedule.Rate));
        cancellationToken.ThrowIfCancellationRequested();
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new AggregateException(error);
        progress?.Report(new(schedule.TotalWords, schedule.TotalWords, schedule.Rate));
        return new Word2VecModel(corpus.Vocabulary, corpus.Counts, input, dims, output);
    }

    /// <summary>
    /// word2vec's subsampling: keep a word with probability (√(f/t) + 1)·t/f, t = sample × corpus size, as a bound on
    /// 32 random bits (2³² keeps always).
    /// </summary>
    private static ulong[] KeepBelow(long[] counts, double sample)
    {
        double threshold = sample * counts.Sum();
        return counts.Select(c => sample <= 0 ? 1UL << 32 : (ulong)(Math.Min(1, (Math.Sqrt(c / threshold) + 1) * threshold / c) * 4294967296.0)).ToArray();
    }
}
