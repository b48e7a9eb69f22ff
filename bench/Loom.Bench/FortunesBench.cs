using System.Diagnostics;
using Loom.Classification;
using Loom.Clustering;
using Loom.Data;
using Microsoft.Extensions.AI;

/// <summary>
/// The chapter 4–5 evaluation on Debian fortunes (categories with ≥ 200 entries, seeded 80/20 stratified split):
/// classification accuracy and macro-F1 (TF-IDF + LR, embeddings + LR, class centroids, zero-shot) and topic quality
/// (NMI, ARI against the categories, diversity, NPMI) for the topic model and k-means baselines, with the time of each
/// stage. Usage: fortunes [--limit N] [--model minilm|none] [--cache embeddings.bin] [--kmeans-seeds N]
/// </summary>
internal static class FortunesBench
{
    public static int Run(string[] args)
    {
        int limit = Option(args, "--limit") is { } l ? int.Parse(l) : int.MaxValue;
        string model = Option(args, "--model") ?? "minilm";
        var all = Fortunes.Load();
        if (all.Count > limit) all = all.Where((_, i) => i % ((all.Count + limit - 1) / limit) == 0).ToList();
        var (train, test) = Fortunes.Split(all);
        string[] categories = all.Select(f => f.Category).Distinct().Order(StringComparer.Ordinal).ToArray();
        Console.WriteLine($"fortunes: {all.Count} entries, {categories.Length} categories, {train.Count} train / {test.Count} test (seed 42)");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores (shared with other builds: timings are noisy)");

        Console.WriteLine("\n## classification (test set)");
        var clock = Stopwatch.StartNew();
        var tfidf = TextClassifier.TrainOnTfidfAsync(train.Select(f => f.Text).ToArray(), train.Select(f => f.Category).ToArray(),
            new TfidfVectorizerOptions { SublinearTf = true }).Result;
        Report("TF-IDF + LR", tfidf, test, clock.Elapsed);

        IEmbeddingGenerator<string, Embedding<float>>? generator = model == "none" ? null : Embeddings.Open(model);
        float[][]? embeddings = null;
        if (generator is not null)
        {
            string? cachePath = Option(args, "--cache");
            embeddings = cachePath is not null && File.Exists(cachePath) ? ReadVectors(cachePath) : null;
            if (embeddings is null || embeddings.Length != all.Count)
            {
                clock.Restart();
                embeddings = EmbeddingBatches.EmbedAsync(generator, all.Select(f => f.Text).ToArray(), 256).Result;
                Console.WriteLine($"embedding {all.Count} fortunes ({model}): {clock.Elapsed.TotalSeconds:F1} s ({all.Count / clock.Elapsed.TotalSeconds:F0} texts/s)");
                if (cachePath is not null) WriteVectors(cachePath, embeddings);
            }
            var cached = new CachedEmbeddings(generator, all.Select(f => f.Text).ToArray(), embeddings);
            clock.Restart();
            var lr = TextClassifier.TrainOnEmbeddingsAsync(cached, train.Select(f => f.Text).ToArray(), train.Select(f => f.Category).ToArray()).Result;
            Report("embeddings + LR", lr, test, clock.Elapsed);
            clock.Restart();
            var centroids = PrototypeClassifier.FromExamplesAsync(cached, train.Select(f => f.Text).ToArray(), train.Select(f => f.Category).ToArray()).Result;
            Report("class centroids", centroids, test, clock.Elapsed);
            clock.Restart();
            var zeroShot = PrototypeClassifier.FromDescriptionsAsync(generator, categories.Select(c => new KeyValuePair<string, string>(c, Descriptions.GetValueOrDefault(c, $"a quote about {c}"))).ToArray()).Result;
            Report("zero-shot (label descriptions)", new CachedClassifier(zeroShot, cached), test, clock.Elapsed);
        }

        Console.WriteLine("\n## topics (all entries)");
        string[] documents = all.Select(f => f.Text).ToArray();
        int[] truth = all.Select(f => Array.IndexOf(categories, f.Category)).ToArray();
        var vectorizerOptions = new CountVectorizerOptions { StopWords = EnglishStopWords.Set };
        var documentTerms = TopicMetrics.DocumentTerms(documents, vectorizerOptions);
        var tfidfAll = TfidfVectorizer.Fit(documents, new TfidfVectorizerOptions { SublinearTf = true, Counts = vectorizerOptions });
        clock.Restart();
        int[] kmeansTfidf = new KMeans(new KMeansOptions { Clusters = categories.Length }).FitPredict(FeatureRows.Sparse(documents.Select(tfidfAll.Transform).ToArray()));
        Topics($"k-means (k = {categories.Length}) on TF-IDF", documents, kmeansTfidf, truth, documentTerms, vectorizerOptions, clock.Elapsed);
        if (embeddings is null) return 0;

        clock.Restart();
        int[] kmeansEmbeddings = new KMeans(new KMeansOptions { Clusters = categories.Length }).FitPredict(embeddings);
        Topics($"k-means (k = {categories.Length}) on embeddings", documents, kmeansEmbeddings, truth, documentTerms, vectorizerOptions, clock.Elapsed);
        // k-means depends on its seed: show the spread of NMI over a few.
        int seeds = Option(args, "--kmeans-seeds") is { } s ? int.Parse(s) : 0;
        if (seeds > 0)
        {
            var nmi = Enumerable.Range(1, seeds).Select(seed => ClusteringMetrics.NormalizedMutualInformation(truth,
                new KMeans(new KMeansOptions { Clusters = categories.Length, Seed = seed }).FitPredict(embeddings))).ToArray();
            Console.WriteLine($"k-means on embeddings over seeds 1..{seeds}: NMI mean {nmi.Average():F3}, min {nmi.Min():F3}, max {nmi.Max():F3}");
        }

        clock.Restart();
        var reduced = new Umap(new UmapOptions { Components = 5, MinDist = 0, Metric = UmapMetric.Cosine }).FitTransform(embeddings);
        var umapTime = clock.Elapsed;
        clock.Restart();
        int[] clusters = new Hdbscan(new HdbscanOptions { MinClusterSize = 10 }).FitPredict(reduced);
        var hdbscanTime = clock.Elapsed;
        clock.Restart();
        var topicModel = TopicModel.FitAsync(documents, embeddings, generator, new TopicModelOptions
        {
            Reducer = null,
            Clusterer = new Precomputed(clusters),
            Vectorizer = vectorizerOptions,
        }).Result;
        var ctfidfTime = clock.Elapsed;
        Console.WriteLine($"stages: UMAP (5-D, cosine) {umapTime.TotalSeconds:F1} s, HDBSCAN {hdbscanTime.TotalSeconds:F1} s, vectoriser + c-TF-IDF {ctfidfTime.TotalSeconds:F1} s");
        TopicRow("topic model (UMAP + HDBSCAN + c-TF-IDF)", topicModel, truth, documentTerms);
        int moved = topicModel.ReduceOutliersAsync().Result;
        TopicRow($"  after outlier reduction ({moved} moved)", topicModel, truth, documentTerms);
        topicModel.ReduceTopicsAsync(categories.Length).Wait();
        TopicRow($"  reduced to {categories.Length} topics", topicModel, truth, documentTerms);
        return 0;
    }

    private static void Report(string name, ITextClassifier classifier, IReadOnlyList<Fortune> test, TimeSpan trainTime)
    {
        var predictions = classifier.ClassifyAsync(test.Select(f => f.Text).ToArray()).Result;
        var report = ClassificationReport.Compute(test.Select(f => f.Category).ToArray(), predictions.Select(p => p.Label).ToArray(), classifier.Labels);
        Console.WriteLine($"| {name} | accuracy {report.Accuracy:F3} | macro-F1 {report.MacroF1:F3} | fit {trainTime.TotalSeconds:F1} s |");
    }

    private static void Topics(string name, string[] documents, int[] labels, int[] truth, IReadOnlyList<IReadOnlySet<string>> documentTerms,
        CountVectorizerOptions vectorizerOptions, TimeSpan time)
    {
        var vectorizer = CountVectorizer.Fit(documents, vectorizerOptions);
        int[] ids = labels.Distinct().Order().ToArray();
        var weights = ClassTfidf.Compute(vectorizer, documents, labels, ids);
        var words = weights.Select(w => (IReadOnlyList<string>)w.Select((x, j) => (x, j)).Where(e => e.x > 0).OrderByDescending(e => e.x).Take(10).Select(e => vectorizer.Vocabulary[e.j]).ToArray()).ToArray();
        Console.WriteLine($"| {name} | topics {ids.Length} | outliers 0.0% | NMI {ClusteringMetrics.NormalizedMutualInformation(truth, labels):F3} | ARI {ClusteringMetrics.AdjustedRandIndex(truth, labels):F3} " +
            $"| diversity {TopicMetrics.Diversity(words, 10):F3} | NPMI {TopicMetrics.NpmiCoherence(words, documentTerms):F3} | {time.TotalSeconds:F1} s |");
    }

    private static void TopicRow(string name, TopicModel model, int[] truth, IReadOnlyList<IReadOnlySet<string>> documentTerms)
    {
        var words = model.Topics.Where(t => t.Id >= 0).Select(t => (IReadOnlyList<string>)t.Words.Select(w => w.Word).ToArray()).ToArray();
        int[] a = model.Assignments;
        var kept = Enumerable.Range(0, a.Length).Where(i => a[i] >= 0).ToArray();
        Console.WriteLine($"| {name} | topics {words.Length} | outliers {100.0 * (a.Length - kept.Length) / a.Length:F1}% " +
            $"| NMI {ClusteringMetrics.NormalizedMutualInformation(truth, a):F3} | ARI {ClusteringMetrics.AdjustedRandIndex(truth, a):F3} " +
            $"| diversity {TopicMetrics.Diversity(words, 10):F3} | NPMI {TopicMetrics.NpmiCoherence(words, documentTerms):F3} " +
            $"| NMI without outliers {(kept.Length > 0 ? ClusteringMetrics.NormalizedMutualInformation(kept.Select(i => truth[i]).ToArray(), kept.Select(i => a[i]).ToArray()) : 0):F3} |");
    }

    private static float[][] ReadVectors(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int n = reader.ReadInt32(), d = reader.ReadInt32();
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => reader.ReadSingle()).ToArray()).ToArray();
    }

    private static void WriteVectors(string path, float[][] vectors)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(vectors.Length);
        writer.Write(vectors[0].Length);
        foreach (var v in vectors) foreach (float x in v) writer.Write(x);
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Hand-written one-line descriptions of the categories for zero-shot classification.</summary>
    private static readonly Dictionary<string, string> Descriptions = new()
    {
        ["art"] = "a quote about art, artists, painting and music",
        ["computers"] = "a joke about computers, programming and software",
        ["cookie"] = "a fortune cookie saying",
        ["definitions"] = "a humorous dictionary definition of a word",
        ["disclaimer"] = "a legal disclaimer or warning notice",
        ["drugs"] = "a quote about drugs, alcohol and getting high",
        ["education"] = "a quote about school, teachers and learning",
        ["fortunes"] = "a fortune telling your future",
        ["knghtbrd"] = "a quote from an IRC chat among Linux hackers",
        ["law"] = "a quote about laws, lawyers and justice",
        ["linux"] = "a quote about Linux, Linus Torvalds and the kernel",
        ["literature"] = "a quote from a novel or about writers and books",
        ["men-women"] = "a quote about men, women, love and marriage",
        ["miscellaneous"] = "a miscellaneous witty remark",
        ["people"] = "a quote by a famous person about people",
        ["perl"] = "a quote about the Perl programming language by Larry Wall",
        ["platitudes"] = "a platitude, a trite and obvious statement",
        ["politics"] = "a quote about politics, government and politicians",
        ["science"] = "a quote about science, physics and mathematics",
        ["songs-poems"] = "a song lyric or a short poem",
        ["startrek"] = "a quote from Star Trek, Captain Kirk and Mr. Spock",
        ["wisdom"] = "a piece of wisdom about life",
        ["work"] = "a quote about work, jobs, bosses and offices",
        ["zippy"] = "an absurd non sequitur from Zippy the Pinhead",
    };

    /// <summary>Serves the embeddings computed once for the whole set, so that each classifier is timed without re-embedding.</summary>
    private sealed class CachedEmbeddings(IEmbeddingGenerator<string, Embedding<float>> inner, string[] texts, float[][] vectors) : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly Dictionary<string, float[]> _cache = texts.Select((t, i) => (t, i)).DistinctBy(e => e.t).ToDictionary(e => e.t, e => vectors[e.i]);

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = values.ToList();
            var missing = list.Where(v => !_cache.ContainsKey(v)).Distinct().ToList();
            if (missing.Count > 0)
            {
                var fresh = await inner.GenerateAsync(missing, options, cancellationToken);
                for (int i = 0; i < missing.Count; i++) _cache[missing[i]] = fresh[i].Vector.ToArray();
            }
            return new GeneratedEmbeddings<Embedding<float>>(list.Select(v => new Embedding<float>(_cache[v])));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);
        public void Dispose() { }
    }

    /// <summary>Zero-shot prototypes from the real encoder, documents from the cache.</summary>
    private sealed class CachedClassifier(PrototypeClassifier prototypes, CachedEmbeddings cache) : ITextClassifier
    {
        public IReadOnlyList<string> Labels => prototypes.Labels;

        public async Task<IReadOnlyList<ClassPrediction>> ClassifyAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
        {
            var vectors = await EmbeddingBatches.EmbedAsync(cache, texts, 256, progress, cancellationToken);
            return vectors.Select(prototypes.Nearest).ToArray();
        }
    }

    private sealed class Precomputed(int[] labels) : IClusterer
    {
        public int[] FitPredict(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default) => labels;
    }
}
