using System.Numerics.Tensors;

namespace Loom.Embeddings;

/// <summary>
/// Trains word2vec (skip-gram or CBOW with negative sampling, frequent-word subsampling, linear learning-rate decay)
/// on any sequences of tokens — words of sentences, or songs of playlists. Threads update the shared vectors without
/// locks, as the original word2vec does (Hogwild): a rare lost update costs nothing measurable.
/// </summary>
public static class Word2VecTrainer
{
    public static Word2VecModel Train(IEnumerable<IEnumerable<string>> sentences, Word2VecOptions? options = null,
        IProgress<Word2VecProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new Word2VecOptions();
        options.Validate();
        var (vocabulary, counts, corpus) = BuildCorpus(sentences, options.MinCount, cancellationToken);
        if (vocabulary.Length == 0) throw new ArgumentException($"no token occurs at least {options.MinCount} times", nameof(sentences));
        int dims = options.Dimensions;
        var input = new float[(long)vocabulary.Length * dims];
        var output = new float[input.Length];
        var random = new Random(options.Seed);
        for (int i = 0; i < input.Length; i++) input[i] = (random.NextSingle() - 0.5f) / dims;
        var table = UnigramTable(counts);
        long corpusWords = counts.Sum();
        long totalWords = corpusWords * options.Epochs;
        float start = options.LearningRate ?? (options.Architecture == Word2VecArchitecture.SkipGram ? 0.025f : 0.05f);
        long processed = 0;
        var keep = KeepProbabilities(counts, corpusWords, options.Sample);

        void Work(int thread)
        {
            ulong state = (ulong)(options.Seed * 7919 + thread * 104729 + 1);
            var hidden = new float[dims];
            var hiddenGradient = new float[dims];
            var negatives = new int[options.Negative];
            var kept = new List<int>();
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                for (int s = thread; s < corpus.Length; s += options.Threads)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var sentence = corpus[s];
                    long done = Interlocked.Add(ref processed, sentence.Length);
                    float alpha = Math.Max(options.MinLearningRate, start * (1 - done / (float)(totalWords + 1)));
                    if (thread == 0 && progress is not null && s % 1000 < options.Threads) progress.Report(new(done, totalWords, alpha));
                    kept.Clear();
                    foreach (int w in sentence)
                        if (keep[w] >= 1 || keep[w] > Next(ref state) / (double)ulong.MaxValue) kept.Add(w);
                    for (int i = 0; i < kept.Count; i++)
                    {
                        int reduced = (int)(Next(ref state) % (ulong)options.Window);
                        int from = Math.Max(0, i - options.Window + reduced), to = Math.Min(kept.Count - 1, i + options.Window - reduced);
                        if (options.Architecture == Word2VecArchitecture.SkipGram)
                        {
                            for (int j = from; j <= to; j++)
                            {
                                if (j == i) continue;
                                var context = input.AsSpan(kept[j] * dims, dims);
                                Array.Clear(hiddenGradient);
                                DrawNegatives(table, kept[i], negatives, ref state);
                                NegativeSamplingStep(context, output, dims, kept[i], negatives, alpha, hiddenGradient);
                                TensorPrimitives.Add(context, hiddenGradient, context);
                            }
                        }
                        else
                        {
                            Array.Clear(hidden);
                            int n = 0;
                            for (int j = from; j <= to; j++)
                            {
                                if (j == i) continue;
                                TensorPrimitives.Add(hidden, input.AsSpan(kept[j] * dims, dims), hidden);
                                n++;
                            }
                            if (n == 0) continue;
                            TensorPrimitives.Divide(hidden, n, hidden);
                            Array.Clear(hiddenGradient);
                            DrawNegatives(table, kept[i], negatives, ref state);
                            NegativeSamplingStep(hidden, output, dims, kept[i], negatives, alpha, hiddenGradient);
                            for (int j = from; j <= to; j++)
                            {
                                if (j == i) continue;
                                var context = input.AsSpan(kept[j] * dims, dims);
                                TensorPrimitives.Add(context, hiddenGradient, context);
                            }
                        }
                    }
                }
            }
        }

        if (options.Threads == 1) Work(0);
        else
        {
            var threads = new Thread[options.Threads];
            var errors = new Exception?[threads.Length];
            for (int t = 0; t < threads.Length; t++)
            {
                int id = t;
                threads[t] = new Thread(() => { try { Work(id); } catch (Exception e) { errors[id] = e; } }) { IsBackground = true };
                threads[t].Start();
            }
            foreach (var thread in threads) thread.Join();
            cancellationToken.ThrowIfCancellationRequested();
            var error = errors.FirstOrDefault(e => e is not null);
            if (error is not null) throw new AggregateException(error);
        }
        progress?.Report(new(totalWords, totalWords, options.MinLearningRate));
        return new Word2VecModel(vocabulary, counts, input, dims, output);
    }

    /// <summary>
    /// One negative-sampling step for hidden vector h and target word o with negatives k: the loss is
    /// −log σ(u_o·h) − Σ log σ(−u_k·h). Moves each output vector u against its gradient (scaled by alpha) and adds
    /// −alpha·∂loss/∂h to <paramref name="hiddenGradient"/> (the caller applies it to the input vectors).
    /// </summary>
    internal static void NegativeSamplingStep(ReadOnlySpan<float> hidden, float[] output, int dims, int target,
        ReadOnlySpan<int> negatives, float alpha, Span<float> hiddenGradient)
    {
        for (int d = -1; d < negatives.Length; d++)
        {
            int word = d < 0 ? target : negatives[d];
            if (d >= 0 && word == target) continue;
            var u = output.AsSpan(word * dims, dims);
            float label = d < 0 ? 1 : 0;
            float g = (label - Sigmoid(TensorPrimitives.Dot(hidden, u))) * alpha;
            TensorPrimitives.MultiplyAdd(u, g, hiddenGradient, hiddenGradient);
            TensorPrimitives.MultiplyAdd(hidden, g, u, u);
        }
    }

    private static float Sigmoid(float x) => x > 30 ? 1 : x < -30 ? 0 : 1 / (1 + MathF.Exp(-x));

    private static void DrawNegatives(int[] table, int target, int[] negatives, ref ulong state)
    {
        for (int d = 0; d < negatives.Length; d++) negatives[d] = table[Next(ref state) % (ulong)table.Length];
    }

    /// <summary>xorshift64*: cheap, per thread, no shared state.</summary>
    private static ulong Next(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717UL;
    }

    /// <summary>Word ids in proportion to count^0.75, as word2vec's table.</summary>
    internal static int[] UnigramTable(long[] counts)
    {
        int size = (int)Math.Clamp(counts.Length * 100L, 1_000_000, 10_000_000);
        var table = new int[size];
        double total = counts.Sum(c => Math.Pow(c, 0.75));
        int word = 0;
        double cumulative = Math.Pow(counts[0], 0.75) / total;
        for (int i = 0; i < size; i++)
        {
            table[i] = word;
            if ((i + 1) / (double)size > cumulative && word < counts.Length - 1)
            {
                word++;
                cumulative += Math.Pow(counts[word], 0.75) / total;
            }
        }
        return table;
    }

    /// <summary>word2vec's subsampling: keep a word with probability (√(f/t) + 1)·t/f, t = sample × corpus size.</summary>
    private static double[] KeepProbabilities(long[] counts, long total, double sample) =>
        counts.Select(c => sample <= 0 ? 1.0 : (Math.Sqrt(c / (sample * total)) + 1) * (sample * total) / c).ToArray();

    private static (string[] Vocabulary, long[] Counts, int[][] Corpus) BuildCorpus(IEnumerable<IEnumerable<string>> sentences, int minCount, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var rawCounts = new List<long>();
        var raw = new List<int[]>();
        foreach (var sentence in sentences)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tokens = new List<int>();
            foreach (var token in sentence)
            {
                if (!ids.TryGetValue(token, out int id))
                {
                    id = ids.Count;
                    ids.Add(token, id);
                    rawCounts.Add(0);
                }
                rawCounts[id]++;
                tokens.Add(id);
            }
            raw.Add(tokens.ToArray());
        }
        // Most frequent first, as word2vec orders its vocabulary; ties by token for determinism.
        var kept = ids.Where(e => rawCounts[e.Value] >= minCount).OrderByDescending(e => rawCounts[e.Value]).ThenBy(e => e.Key, StringComparer.Ordinal).ToArray();
        var remap = new int[ids.Count];
        Array.Fill(remap, -1);
        for (int i = 0; i < kept.Length; i++) remap[kept[i].Value] = i;
        var corpus = raw.Select(s => s.Select(t => remap[t]).Where(t => t >= 0).ToArray()).Where(s => s.Length > 0).ToArray();
        return (kept.Select(e => e.Key).ToArray(), kept.Select(e => rawCounts[e.Value]).ToArray(), corpus);
    }
}
