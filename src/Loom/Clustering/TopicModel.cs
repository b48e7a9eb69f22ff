using System.Numerics.Tensors;
using Loom.Classification;
using Microsoft.Extensions.AI;

namespace Loom.Clustering;

/// <summary>A topic: its id (−1 is the outlier topic), size, describing words, optional label and typical documents.</summary>
public sealed record Topic(int Id, int Size, IReadOnlyList<TopicWord> Words, string? Label, IReadOnlyList<string> RepresentativeDocuments);

/// <summary>
/// The stages of a <see cref="TopicModel"/>; each can be replaced. Defaults follow BERTopic: UMAP to 5 dimensions
/// (cosine, min-dist 0), HDBSCAN with minimum cluster size 10, English stop words removed, c-TF-IDF words.
/// </summary>
public sealed record TopicModelOptions
{
    public IDimensionReducer? Reducer { get; init; } = new Umap(new UmapOptions { Components = 5, MinDist = 0, Metric = UmapMetric.Cosine });
    public IClusterer Clusterer { get; init; } = new Hdbscan();
    public CountVectorizerOptions Vectorizer { get; init; } = new() { StopWords = EnglishStopWords.Set };
    public ITopicRepresentation Representation { get; init; } = new ClassTfidfRepresentation();
    /// <summary>Words kept per topic.</summary>
    public int WordsPerTopic { get; init; } = 10;
    /// <summary>c-TF-IDF candidates handed to the representation stage.</summary>
    public int Candidates { get; init; } = 30;
    public int RepresentativeDocuments { get; init; } = 3;
    /// <summary>Merge topics down to this many (outliers not counted) after clustering, or keep them all.</summary>
    public int? TopicCount { get; init; }
}

/// <summary>
/// BERTopic-style topic model: embed → reduce → cluster → count vectoriser → c-TF-IDF → representation. Topics are
/// numbered by size (0 the largest), −1 holds the outliers. New documents go to the topic whose embedding (normalised
/// mean of its documents' embeddings) is closest by cosine.
/// </summary>
public sealed partial class TopicModel
{
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _generator;
    private readonly List<Topic> _topics;
    private float[][] _topicEmbeddings; // unit length, one per non-outlier topic, by id
    // What the fit saw; absent in a loaded model.
    private readonly IReadOnlyList<string>? _documents;
    private readonly float[][]? _embeddings;
    private readonly TopicModelOptions _options;
    private CountVectorizer? _vectorizer;
    private SparseVector[]? _documentCounts;

    private TopicModel(IEmbeddingGenerator<string, Embedding<float>>? generator, TopicModelOptions options, List<Topic> topics, float[][] topicEmbeddings,
        int[] assignments, IReadOnlyList<string>? documents, float[][]? embeddings, string? embeddingModelId)
    {
        _generator = generator;
        _options = options;
        _topics = topics;
        _topicEmbeddings = topicEmbeddings;
        Assignments = assignments;
        _documents = documents;
        _embeddings = embeddings;
        EmbeddingModelId = embeddingModelId;
    }

    /// <summary>Topics by id: the outlier topic −1 first when there are outliers, then 0, 1, … by decreasing size.</summary>
    public IReadOnlyList<Topic> Topics => _topics;
    /// <summary>The topic of each fitted document (−1 for outliers); empty for a loaded model.</summary>
    public int[] Assignments { get; private set; }
    public IReadOnlyList<float[]> TopicEmbeddings => _topicEmbeddings;
    public string? EmbeddingModelId { get; }
    /// <summary>The c-TF-IDF weights of the last (re)fit, one row per topic in <see cref="Topics"/> order.</summary>
    public double[][] ClassTfidfWeights { get; private set; } = [];
    public IReadOnlyList<string> Vocabulary => _vectorizer?.Vocabulary ?? [];

    /// <summary>Embeds <paramref name="documents"/> with <paramref name="generator"/> and fits the model.</summary>
    public static async Task<TopicModel> FitAsync(IReadOnlyList<string> documents, IEmbeddingGenerator<string, Embedding<float>> generator,
        TopicModelOptions? options = null, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        progress?.Report("embedding");
        var embeddings = await EmbeddingBatches.EmbedAsync(generator, documents, 256, null, cancellationToken).ConfigureAwait(false);
        return await FitAsync(documents, embeddings, generator, options, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fits on precomputed embeddings; <paramref name="generator"/> is needed for new documents and embedding-based representations.</summary>
    public static async Task<TopicModel> FitAsync(IReadOnlyList<string> documents, float[][] embeddings, IEmbeddingGenerator<string, Embedding<float>>? generator,
        TopicModelOptions? options = null, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new TopicModelOptions();
        if (documents.Count != embeddings.Length) throw new ArgumentException($"{documents.Count} documents but {embeddings.Length} embeddings");
        if (documents.Count < 3) throw new ArgumentException("a topic model needs at least three documents");
        Points.Validate(embeddings);
        progress?.Report("reducing");
        var reduced = options.Reducer is null ? embeddings : await Task.Run(() => options.Reducer.FitTransform(embeddings, cancellationToken), cancellationToken).ConfigureAwait(false);
        progress?.Report("clustering");
        int[] clusters = await Task.Run(() => options.Clusterer.FitPredict(reduced, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (clusters.Length != documents.Count) throw new InvalidOperationException("the clusterer returned the wrong number of labels");
        var model = new TopicModel(generator, options, [], [], BySize(clusters), documents, embeddings, generator is null ? null : EmbeddingBatches.ModelId(generator));
        progress?.Report("describing topics");
        model._vectorizer = CountVectorizer.Fit(documents, options.Vectorizer);
        model._documentCounts = documents.Select(model._vectorizer.Transform).ToArray();
        if (options.TopicCount is int count) model.MergeTopics(count);
        await model.DescribeAsync(cancellationToken).ConfigureAwait(false);
        return model;
    }

    /// <summary>Renumbers clusters 0, 1, … by decreasing size (ties by first appearance); outliers stay −1.</summary>
    private static int[] BySize(int[] clusters)
    {
        var order = clusters.Where(c => c >= 0).GroupBy(c => c).OrderByDescending(g => g.Count()).ThenBy(g => Array.IndexOf(clusters, g.Key))
            .Select((g, i) => (g.Key, i)).ToDictionary(e => e.Key, e => e.i);
        return clusters.Select(c => c >= 0 ? order[c] : -1).ToArray();
    }

    private IReadOnlyList<string> Documents => _documents ?? throw new InvalidOperationException("a loaded model keeps no documents: refit to change its topics");

    /// <summary>Recomputes topic embeddings, c-TF-IDF, representative documents and descriptions from the assignments.</summary>
    private async Task DescribeAsync(CancellationToken cancellationToken)
    {
        var documents = Documents;
        int topicCount = Assignments.DefaultIfEmpty(-1).Max() + 1;
        bool hasOutliers = Assignments.Contains(-1);
        int[] ids = [.. (hasOutliers ? new[] { -1 } : []), .. Enumerable.Range(0, topicCount)];
        _topicEmbeddings = Enumerable.Range(0, topicCount).Select(t => Mean(Enumerable.Range(0, documents.Count).Where(d => Assignments[d] == t).Select(d => _embeddings![d]))).ToArray();
        ClassTfidfWeights = ClassTfidf.Weigh(ClassTfidf.ClassCounts(_documentCounts!, Assignments, ids));
        var drafts = ids.Select((id, row) =>
        {
            var candidates = ClassTfidfWeights[row].Select((w, j) => (w, j)).Where(e => e.w > 0).OrderByDescending(e => e.w).ThenBy(e => e.j)
                .Take(_options.Candidates).Select(e => new TopicWord(_vectorizer!.Vocabulary[e.j], (float)e.w)).ToArray();
            float[] embedding = id >= 0 ? _topicEmbeddings[id] : Mean(Enumerable.Range(0, documents.Count).Where(d => Assignments[d] == -1).Select(d => _embeddings![d]));
            var representative = Enumerable.Range(0, documents.Count).Where(d => Assignments[d] == id)
                .OrderByDescending(d => TensorPrimitives.CosineSimilarity(_embeddings![d], embedding)).ThenBy(d => d)
                .Take(_options.RepresentativeDocuments).Select(d => documents[d]).ToArray();
            return new TopicDraft(id, candidates, embedding, representative);
        }).ToArray();
        var descriptions = await _options.Representation.DescribeAsync(drafts, _options.WordsPerTopic, cancellationToken).ConfigureAwait(false);
        if (descriptions.Count != drafts.Length) throw new InvalidOperationException("the representation stage returned the wrong number of topics");
        _topics.Clear();
        for (int i = 0; i < drafts.Length; i++)
            _topics.Add(new Topic(ids[i], Assignments.Count(a => a == ids[i]), descriptions[i].Words, descriptions[i].Label, drafts[i].RepresentativeDocuments));
    }

    private static float[] Mean(IEnumerable<float[]> vectors)
    {
        float[]? sum = null;
        foreach (var v in vectors)
        {
            sum ??= new float[v.Length];
            float norm = TensorPrimitives.Norm(v);
            if (norm > 0) TensorPrimitives.MultiplyAdd(v, 1 / norm, sum, sum);
        }
        if (sum is null) return [];
        float total = TensorPrimitives.Norm(sum);
        if (total > 0) TensorPrimitives.Divide(sum, total, sum);
        return sum;
    }

    /// <summary>
    /// Merges topics until <paramref name="count"/> remain: each time the smallest topic joins the topic whose c-TF-IDF
    /// row is most similar by cosine. Then renumbers by size and describes the topics again.
    /// </summary>
    public async Task ReduceTopicsAsync(int count, CancellationToken cancellationToken = default)
    {
        MergeTopics(count);
        await DescribeAsync(cancellationToken).ConfigureAwait(false);
    }

    private void MergeTopics(int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "at least one topic");
        _ = Documents;
        var assignments = (int[])Assignments.Clone();
        var ids = assignments.Where(a => a >= 0).Distinct().Order().ToList();
        var counts = ClassTfidf.ClassCounts(_documentCounts!, assignments, ids).ToList();
        var sizes = ids.Select(id => assignments.Count(a => a == id)).ToList();
        while (ids.Count > count)
        {
            var weights = ClassTfidf.Weigh(counts.ToArray());
            int smallest = Enumerable.Range(0, ids.Count).OrderBy(i => sizes[i]).ThenByDescending(i => ids[i]).First();
            int target = Enumerable.Range(0, ids.Count).Where(i => i != smallest).MaxBy(i => Cosine(weights[smallest], weights[i]));
            for (int d = 0; d < assignments.Length; d++) if (assignments[d] == ids[smallest]) assignments[d] = ids[target];
            TensorPrimitives.Add(counts[target], counts[smallest], counts[target]);
            sizes[target] += sizes[smallest];
            ids.RemoveAt(smallest); counts.RemoveAt(smallest); sizes.RemoveAt(smallest);
        }
        Assignments = BySize(assignments);
    }

    private static double Cosine(double[] a, double[] b)
    {
        double dot = TensorPrimitives.Dot(a, b), norm = TensorPrimitives.Norm(a) * TensorPrimitives.Norm(b);
        return norm == 0 ? 0 : dot / norm;
    }

    /// <summary>
    /// Moves outlier documents to the topic whose embedding is closest by cosine, when that similarity is at least
    /// <paramref name="threshold"/>, and describes the topics again. Returns how many documents moved.
    /// </summary>
    public async Task<int> ReduceOutliersAsync(double threshold = 0, CancellationToken cancellationToken = default)
    {
        _ = Documents;
        if (_topicEmbeddings.Length == 0) return 0;
        int moved = 0;
        var assignments = (int[])Assignments.Clone();
        for (int d = 0; d < assignments.Length; d++)
        {
            if (assignments[d] != -1) continue;
            var (topic, similarity) = Nearest(_embeddings![d]);
            if (similarity >= threshold) { assignments[d] = topic; moved++; }
        }
        Assignments = assignments;
        await DescribeAsync(cancellationToken).ConfigureAwait(false);
        return moved;
    }

    private (int Topic, float Similarity) Nearest(float[] embedding)
    {
        int best = -1;
        float bestSimilarity = float.NegativeInfinity;
        for (int t = 0; t < _topicEmbeddings.Length; t++)
        {
            if (_topicEmbeddings[t].Length != embedding.Length) throw new InvalidOperationException($"embedding has dimension {embedding.Length}, topics {_topicEmbeddings[t].Length}");
            float similarity = TensorPrimitives.CosineSimilarity(embedding, _topicEmbeddings[t]);
            if (similarity > bestSimilarity) (best, bestSimilarity) = (t, similarity);
        }
        return (best, bestSimilarity);
    }

    private IEmbeddingGenerator<string, Embedding<float>> Generator
        => _generator ?? throw new InvalidOperationException("this topic model has no embedding generator");

    /// <summary>Topics of new documents: the nearest topic embedding, or −1 when its cosine is below <paramref name="threshold"/>.</summary>
    public async Task<(int Topic, float Similarity)[]> TransformAsync(IReadOnlyList<string> documents, double threshold = double.NegativeInfinity,
        CancellationToken cancellationToken = default)
    {
        if (_topicEmbeddings.Length == 0) throw new InvalidOperationException("the model found no topics");
        var embeddings = await EmbeddingBatches.EmbedAsync(Generator, documents, 256, null, cancellationToken).ConfigureAwait(false);
        return embeddings.Select(e => Nearest(e) is var (t, s) && s >= threshold ? (t, s) : (-1, s)).ToArray();
    }

    /// <summary>The <paramref name="count"/> topics closest to <paramref name="query"/>, most similar first.</summary>
    public async Task<IReadOnlyList<(Topic Topic, float Similarity)>> FindTopicsAsync(string query, int count = 5, CancellationToken cancellationToken = default)
    {
        var embedding = (await EmbeddingBatches.EmbedAsync(Generator, [query], 1, null, cancellationToken).ConfigureAwait(false))[0];
        return Enumerable.Range(0, _topicEmbeddings.Length)
            .Select(t => (Topic: _topics.First(x => x.Id == t), Similarity: TensorPrimitives.CosineSimilarity(embedding, _topicEmbeddings[t])))
            .OrderByDescending(e => e.Similarity).Take(count).ToArray();
    }
}
