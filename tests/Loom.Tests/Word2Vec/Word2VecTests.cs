using Loom.Embeddings;
using Loom.Formats;
using Loom.Tests.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Word2Vec;

public sealed class Word2VecTests(ITestOutputHelper output)
{
    private static readonly Lazy<(Word2VecModel Model, string[][] Train, string[][] HeldOut)> Fortune = new(() =>
    {
        var sentences = Fortunes.Entries.Select(e => Word2VecCorpus.Words(e).ToArray()).Where(s => s.Length > 1).ToArray();
        var heldOut = sentences.Where((_, i) => i % 10 == 0).ToArray();
        var train = sentences.Where((_, i) => i % 10 != 0).ToArray();
        var model = Word2VecTrainer.Train(train, new Word2VecOptions { Dimensions = 50, Epochs = 3, MinCount = 5, Threads = 2 });
        return (model, train, heldOut);
    });

    [Fact]
    public void NegativeSamplingStepFollowsTheLossGradient()
    {
        // L = −log σ(u_t·h) − Σ_k log σ(−u_k·h); one step must move u by −α ∂L/∂u and report −α ∂L/∂h.
        const int dims = 19; // SIMD blocks and a scalar tail
        var random = new Random(3);
        var h = Enumerable.Range(0, dims).Select(_ => random.NextDouble() - 0.5).ToArray();
        var u = Enumerable.Range(0, 3 * dims).Select(_ => random.NextDouble() - 0.5).ToArray();
        int target = 0;
        int[] negatives = [1, 2];
        double Loss(double[] hv, double[] uv)
        {
            double Dot(int w) => Enumerable.Range(0, dims).Sum(d => hv[d] * uv[w * dims + d]);
            double LogSigmoid(double x) => -Math.Log(1 + Math.Exp(-x));
            return -LogSigmoid(Dot(target)) - negatives.Sum(k => LogSigmoid(-Dot(k)));
        }
        const float alpha = 1e-3f;
        var output = u.Select(x => (float)x).ToArray();
        var hiddenGradient = new float[dims];
        Word2VecWorker.NegativeSamplingStep(h.Select(x => (float)x).ToArray(), output, dims, target, negatives, alpha, hiddenGradient);
        const double eps = 1e-6;
        for (int i = 0; i < u.Length; i++)
        {
            var plus = (double[])u.Clone(); plus[i] += eps;
            var minus = (double[])u.Clone(); minus[i] -= eps;
            double numeric = (Loss(h, plus) - Loss(h, minus)) / (2 * eps);
            Assert.Equal(-alpha * numeric, output[i] - (float)u[i], 1e-7);
        }
        for (int d = 0; d < dims; d++)
        {
            var plus = (double[])h.Clone(); plus[d] += eps;
            var minus = (double[])h.Clone(); minus[d] -= eps;
            double numeric = (Loss(plus, u) - Loss(minus, u)) / (2 * eps);
            Assert.Equal(-alpha * numeric, hiddenGradient[d], 1e-7);
        }
    }

    [Fact]
    public void OnHeldOutFortunesNeighboursOutscoreSampledWordsAndTheLossFalls()
    {
        // SGNS learns σ(h_w·u_c) ≈ P(c is w's neighbour): on sentences never trained on, a real neighbour must outscore a
        // word drawn from the noise distribution, and the SGNS loss (1 positive, k negatives) must fall well below its
        // untrained value (1 + k)·log 2 (output vectors start at zero).
        var (model, _, heldOut) = Fortune.Value;
        var u = model.OutputVectors!;
        int dims = model.Dimensions, k = new Word2VecOptions().Negative;
        var noise = new Word2VecNoise(model.Counts!.ToArray());
        var random = new Random(9);
        double loss = 0;
        int pairs = 0, wins = 0;
        foreach (var sentence in heldOut)
        {
            var ids = sentence.Where(model.Contains).Select(model.IdOf).ToArray();
            for (int i = 0; i + 1 < ids.Length; i++)
            {
                var h = model[model.Vocabulary[ids[i]]].ToArray();
                double Score(int w) => System.Numerics.Tensors.TensorPrimitives.Dot(h, u.AsSpan(w * dims, dims));
                double positive = Score(ids[i + 1]);
                loss += Math.Log(1 + Math.Exp(-positive));
                for (int n = 0; n < k; n++)
                {
                    double negative = Score(noise.Sample((ulong)random.NextInt64()));
                    loss += Math.Log(1 + Math.Exp(negative));
                    if (positive > negative) wins++;
                }
                pairs++;
            }
        }
        double untrained = (1 + k) * Math.Log(2), winRate = wins / (double)(pairs * k);
        output.WriteLine($"{pairs} held-out pairs: SGNS loss {loss / pairs:F3} (untrained {untrained:F3}); neighbour outscores a sampled word {winRate:P1}");
        Assert.True(loss / pairs < 0.8 * untrained);
        Assert.True(winRate > 0.6); // chance is 50 %
    }

    [Fact]
    public void NoiseIsTheUnigramDistributionToThePower075()
    {
        // Counts spanning five orders of magnitude, drawn 4M times: every word's frequency within 4 standard errors.
        long[] counts = [100_000, 20_000, 5_000, 1_000, 300, 50, 7, 5, 5, 1];
        var noise = new Word2VecNoise(counts);
        var hits = new long[counts.Length];
        var random = new Random(5);
        const int draws = 4_000_000;
        for (int i = 0; i < draws; i++) hits[noise.Sample((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63))]++;
        double total = counts.Sum(c => Math.Pow(c, 0.75));
        for (int w = 0; w < counts.Length; w++)
        {
            double p = Math.Pow(counts[w], 0.75) / total, expected = p * draws, sd = Math.Sqrt(draws * p * (1 - p));
            Assert.InRange(hits[w], expected - 4 * sd, expected + 4 * sd);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SkipGramFindsPlantedClustersWithOneOrTwoThreads(int threads)
    {
        // 20 clusters of 15 words; each sentence draws its 10 words from one cluster. Words that share a cluster share
        // every context, so a trained model's nearest neighbours must be from the word's own cluster. The clusters
        // follow one another through the corpus, so every chunk the threads take must be trained for all of them to come out.
        // Five epochs: with two, the bar holds for most seeds but not all (one in eight gave 78.6 %), and which thread's
        // generator draws first depends on scheduling.
        const int clusters = 20, size = 15, count = 12_000;
        var random = new Random(11);
        var sentences = Enumerable.Range(0, count).Select(i =>
        {
            int c = i * clusters / count;
            return Enumerable.Range(0, 10).Select(_ => $"w{c}_{random.Next(size)}").ToArray();
        }).ToArray();
        var model = Word2VecTrainer.Train(sentences, new Word2VecOptions { Dimensions = 24, Epochs = 5, Threads = threads });
        Assert.Equal(clusters * size, model.Vocabulary.Count);
        string Cluster(string word) => word[..word.IndexOf('_')];
        double sameCluster = model.Vocabulary.Min(w => model.MostSimilar(w, size - 1).Count(n => Cluster(n.Word) == Cluster(w)) / (double)(size - 1));
        output.WriteLine($"{threads} thread(s): for every word, at least {sameCluster:P1} of its {size - 1} nearest neighbours are in its cluster");
        Assert.True(sameCluster > 0.9, $"a word has only {sameCluster:P1} of its neighbours in its cluster");
    }

    [Fact]
    public void ChunksCoverEverySentenceOncePerEpochInCorpusOrderWhateverTheThreads()
    {
        var random = new Random(5);
        var sentences = Enumerable.Range(0, 3_000).Select(_ => Enumerable.Range(0, random.Next(1, 40)).Select(_ => $"w{random.Next(50)}").ToArray()).ToArray();
        var corpus = Word2VecEncodedCorpus.Build(sentences, 1, CancellationToken.None);
        var chunks = new Word2VecChunks(corpus, epochs: 3);
        var taken = new System.Collections.Concurrent.ConcurrentQueue<(int First, int End)>();
        Parallel.For(0, 4, _ => { while (chunks.TryTake(out int first, out int end)) taken.Enqueue((first, end)); });

        var ordered = taken.OrderBy(c => c.First).ToList();
        Assert.True(ordered.Count >= 3 * 2, "the corpus should split into several chunks");
        var times = new int[sentences.Length];
        foreach (var (first, end) in ordered)
        {
            Assert.True(first < end);
            for (int s = first; s < end; s++) times[s]++;
        }
        Assert.All(times, t => Assert.Equal(3, t));
        Assert.False(chunks.TryTake(out _, out _));

        // One taker sees the corpus in order, epoch after epoch.
        var single = new Word2VecChunks(corpus, epochs: 2);
        var firsts = new List<int>();
        while (single.TryTake(out int first, out int end)) firsts.Add(first);
        int perEpoch = firsts.Count / 2;
        Assert.Equal(firsts[..perEpoch], firsts[perEpoch..]);
        Assert.Equal(firsts[..perEpoch].Order(), firsts[..perEpoch]);
    }

    [Fact]
    public void ProgressRisesToTheTotalAndCancellationStopsTrainingMidway()
    {
        var random = new Random(2);
        var sentences = Enumerable.Range(0, 20_000).Select(_ => Enumerable.Range(0, 10).Select(_ => $"w{random.Next(500)}").ToArray()).ToArray();
        var reports = new List<Word2VecProgress>();
        Word2VecTrainer.Train(sentences, new Word2VecOptions { Dimensions = 16, Epochs = 3, Threads = 2 }, new SynchronousProgress(reports.Add));
        Assert.Equal(600_000, reports[^1].TotalWords);
        Assert.Equal(reports[^1].TotalWords, reports[^1].WordsProcessed);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.Second.WordsProcessed >= p.First.WordsProcessed && p.Second.LearningRate <= p.First.LearningRate));

        // 200 epochs would take tens of seconds; cancelled at the first progress report (after 0.2 s) it must stop within seconds.
        using var cancel = new CancellationTokenSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stopped = new List<Word2VecProgress>();
        Assert.ThrowsAny<OperationCanceledException>(() => Word2VecTrainer.Train(sentences,
            new Word2VecOptions { Dimensions = 16, Epochs = 200, Threads = 2 }, new SynchronousProgress(p => { stopped.Add(p); cancel.Cancel(); }), cancel.Token));
        output.WriteLine($"cancelled after {stopped[0].WordsProcessed:N0} of {stopped[0].TotalWords:N0} words; Train returned after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(stopped[0].WordsProcessed < stopped[0].TotalWords / 4);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8));
    }

    private sealed class SynchronousProgress(Action<Word2VecProgress> report) : IProgress<Word2VecProgress>
    {
        public void Report(Word2VecProgress value) => report(value);
    }

    [Fact]
    public void CbowTrainsOnAnyTokensAndFindsTheirStructure()
    {
        // "Playlists": songs 0–9 always appear together, songs 10–19 together; never mixed.
        var random = new Random(1);
        var playlists = Enumerable.Range(0, 3000).Select(i =>
            Enumerable.Range(0, 8).Select(_ => $"song{(i % 2) * 10 + random.Next(10)}").ToArray()).ToArray();
        var model = Word2VecTrainer.Train(playlists, new Word2VecOptions { Architecture = Word2VecArchitecture.Cbow, Dimensions = 16, Epochs = 3, Threads = 2 });
        var neighbours = model.MostSimilar("song3", 5);
        Assert.All(neighbours, n => Assert.InRange(int.Parse(n.Word[4..]), 0, 9));
    }

    [Fact]
    public void AnalogyIsThreeCosAdd()
    {
        // Vectors made so that king − man + woman = queen exactly.
        var words = new[] { "man", "woman", "king", "queen", "apple" };
        float[] vectors = [1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0.2f, 0.3f, -1];
        var model = new Word2VecModel(words, null, vectors, 3);
        Assert.Equal("queen", model.Analogy("man", "king", "woman", 1)[0].Word);
    }

    [Fact]
    public void TextAndBinaryFormatsRoundTrip()
    {
        var (model, _, _) = Fortune.Value;
        var dir = Directory.CreateTempSubdirectory("loom-w2v").FullName;
        try
        {
            foreach (bool binary in new[] { false, true })
            {
                var path = Path.Combine(dir, binary ? "m.bin" : "m.txt");
                if (binary) model.SaveBinary(path); else model.SaveText(path);
                var loaded = Word2VecModel.Load(path, binary);
                Assert.Equal(model.Vocabulary, loaded.Vocabulary);
                foreach (var word in model.Vocabulary.Take(50)) Assert.Equal(model[word].ToArray(), loaded[word].ToArray());
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("", false, "ends inside the header")]
    [InlineData("2 x\n", false, "header")]
    [InlineData("99999999 3\na 1 2 3\n", false, "more than the file")]
    [InlineData("2 3\na 1 2 3\nb 1 2\n", false, "not 3")]
    [InlineData("2 3\na 1 2 3\na 1 2 3\n", false, "twice")]
    [InlineData("1 3\na 1 nan 3\n", false, "not finite")]
    [InlineData("1 3\na 1 zz 3\n", false, "not a number")]
    [InlineData("1 2\nab \x01\x02\x03", true, "truncated")]
    [InlineData("1 0\n", true, "header")]
    public void HostileFilesAreRefusedByName(string content, bool binary, string problem)
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-w2v-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, System.Text.Encoding.Latin1.GetBytes(content));
        try { Assert.Contains(problem, Assert.Throws<ModelFormatException>(() => Word2VecModel.Load(path, binary)).Message); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TrainingStopsWhenCancelled()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Word2VecTrainer.Train(Fortune.Value.Train, cancellationToken: cancel.Token));
    }
}
