using Microsoft.Extensions.AI;

namespace Loom.Classification;

/// <summary>
/// A supervised text classifier: a featuriser (frozen embeddings or TF-IDF) followed by multinomial logistic regression.
/// Save it with <see cref="Save"/>; read it back with <see cref="Load"/>.
/// </summary>
public sealed class TextClassifier : ITextClassifier
{
    internal TextClassifier(ITextFeaturizer featurizer, IReadOnlyList<string> labels, LogisticRegression model, string? embeddingModelId = null)
    {
        if (labels.Count != model.ClassCount) throw new ArgumentException("one label per class is needed");
        Featurizer = featurizer;
        Labels = labels;
        Model = model;
        EmbeddingModelId = embeddingModelId;
    }

    public ITextFeaturizer Featurizer { get; }
    public IReadOnlyList<string> Labels { get; }
    public LogisticRegression Model { get; }
    /// <summary>The embedding model the classifier was trained on, when it used embeddings and the generator said.</summary>
    public string? EmbeddingModelId { get; }

    /// <summary>Trains on frozen embeddings from <paramref name="generator"/>.</summary>
    public static Task<TextClassifier> TrainOnEmbeddingsAsync(IEmbeddingGenerator<string, Embedding<float>> generator,
        IReadOnlyList<string> texts, IReadOnlyList<string> labels, LogisticRegressionOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
        => TrainAsync(new EmbeddingFeaturizer(generator), texts, labels, options, progress, cancellationToken);

    /// <summary>Fits a TF-IDF vectoriser on <paramref name="texts"/> and trains on its vectors.</summary>
    public static Task<TextClassifier> TrainOnTfidfAsync(IReadOnlyList<string> texts, IReadOnlyList<string> labels,
        TfidfVectorizerOptions? tfidf = null, LogisticRegressionOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (texts.Count == 0) throw new ArgumentException("no training texts");
        return TrainAsync(new TfidfFeaturizer(TfidfVectorizer.Fit(texts, tfidf)), texts, labels, options, null, cancellationToken);
    }

    /// <summary>Trains on any featuriser; labels are sorted ordinally to fix the class order.</summary>
    public static async Task<TextClassifier> TrainAsync(ITextFeaturizer featurizer, IReadOnlyList<string> texts, IReadOnlyList<string> labels,
        LogisticRegressionOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (texts.Count == 0) throw new ArgumentException("no training texts");
        if (texts.Count != labels.Count) throw new ArgumentException($"{texts.Count} texts but {labels.Count} labels");
        string[] classes = labels.Distinct().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2) throw new ArgumentException($"training data must hold at least two labels (found {classes.Length})");
        if (classes.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("a label is empty");
        var index = classes.Select((c, i) => (c, i)).ToDictionary(e => e.c, e => e.i, StringComparer.Ordinal);
        var features = await featurizer.FeaturizeAsync(texts, progress, cancellationToken).ConfigureAwait(false);
        var model = await Task.Run(() => LogisticRegression.Train(features, labels.Select(l => index[l]).ToArray(), classes.Length,
            options, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        string? embeddingModelId = featurizer is EmbeddingFeaturizer e ? EmbeddingBatches.ModelId(e.Generator) : null;
        return new TextClassifier(featurizer, classes, model, embeddingModelId);
    }

    /// <summary>Class probabilities per text, in <see cref="Labels"/> order.</summary>
    public async Task<float[][]> PredictProbabilitiesAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (texts.Count == 0) return [];
        var features = await Featurizer.FeaturizeAsync(texts, progress, cancellationToken).ConfigureAwait(false);
        if (features.Dimension != Model.Dimension)
            throw new InvalidOperationException($"the featuriser gives {features.Dimension} features but the model expects {Model.Dimension} (a different embedding model?)");
        var result = new float[texts.Count][];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new float[Labels.Count];
            Model.PredictProbabilities(features, i, result[i]);
        }
        return result;
    }

    public async Task<IReadOnlyList<ClassPrediction>> ClassifyAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var probabilities = await PredictProbabilitiesAsync(texts, progress, cancellationToken).ConfigureAwait(false);
        return probabilities.Select(p =>
        {
            int best = 0;
            for (int k = 1; k < p.Length; k++) if (p[k] > p[best]) best = k;
            return new ClassPrediction(Labels[best], p[best]);
        }).ToArray();
    }

    /// <summary>Writes the model as versioned JSON; the file is replaced atomically (a crash leaves the old file or the new one).</summary>
    public void Save(string path) => TextClassifierFile.Write(path, this);

    /// <summary>
    /// Reads a model written by <see cref="Save"/>; an embeddings model needs the <paramref name="generator"/> it was trained with.
    /// Throws <see cref="Formats.ModelFormatException"/> for a file that is not a valid model.
    /// </summary>
    public static TextClassifier Load(string path, IEmbeddingGenerator<string, Embedding<float>>? generator = null)
        => TextClassifierFile.Read(path, generator);
}
