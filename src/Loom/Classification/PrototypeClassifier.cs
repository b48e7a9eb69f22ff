using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace Loom.Classification;

/// <summary>
/// Classification without training a model: each label has a prototype embedding — the centroid of its labelled
/// examples, or the embedding of a description of the label (zero-shot) — and a text gets the label whose prototype
/// is closest by cosine. The score is that cosine.
/// </summary>
public sealed class PrototypeClassifier : ITextClassifier
{
    private readonly float[][] _prototypes; // unit length

    private PrototypeClassifier(IEmbeddingGenerator<string, Embedding<float>> generator, IReadOnlyList<string> labels, float[][] prototypes)
    {
        Generator = generator;
        Labels = labels;
        _prototypes = prototypes.Select(Normalized).ToArray();
    }

    public IEmbeddingGenerator<string, Embedding<float>> Generator { get; }
    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyList<float[]> Prototypes => _prototypes;

    /// <summary>Class centroids: the mean of each label's (unit-normalised) example embeddings.</summary>
    public static async Task<PrototypeClassifier> FromExamplesAsync(IEmbeddingGenerator<string, Embedding<float>> generator,
        IReadOnlyList<string> texts, IReadOnlyList<string> labels, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (texts.Count != labels.Count) throw new ArgumentException($"{texts.Count} texts but {labels.Count} labels");
        string[] classes = labels.Distinct().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2) throw new ArgumentException($"at least two labels are needed (found {classes.Length})");
        var vectors = await EmbeddingBatches.EmbedAsync(generator, texts, 256, progress, cancellationToken).ConfigureAwait(false);
        return new PrototypeClassifier(generator, classes, Centroids(vectors, labels, classes));
    }

    internal static float[][] Centroids(float[][] vectors, IReadOnlyList<string> labels, string[] classes)
    {
        var index = classes.Select((c, i) => (c, i)).ToDictionary(e => e.c, e => e.i, StringComparer.Ordinal);
        var sums = classes.Select(_ => new float[vectors[0].Length]).ToArray();
        for (int i = 0; i < vectors.Length; i++) TensorPrimitives.Add(sums[index[labels[i]]], Normalized(vectors[i]), sums[index[labels[i]]]);
        return sums;
    }

    /// <summary>
    /// Zero-shot: the prototype of each label is the embedding of its description (e.g. "a quote about love").
    /// </summary>
    public static async Task<PrototypeClassifier> FromDescriptionsAsync(IEmbeddingGenerator<string, Embedding<float>> generator,
        IReadOnlyList<KeyValuePair<string, string>> labelDescriptions, CancellationToken cancellationToken = default)
    {
        if (labelDescriptions.Count < 2) throw new ArgumentException("at least two labels are needed");
        if (labelDescriptions.Select(d => d.Key).Distinct(StringComparer.Ordinal).Count() != labelDescriptions.Count)
            throw new ArgumentException("a label is described twice");
        var vectors = await EmbeddingBatches.EmbedAsync(generator, labelDescriptions.Select(d => d.Value).ToArray(), 32, null, cancellationToken).ConfigureAwait(false);
        return new PrototypeClassifier(generator, labelDescriptions.Select(d => d.Key).ToArray(), vectors);
    }

    public async Task<IReadOnlyList<ClassPrediction>> ClassifyAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var vectors = await EmbeddingBatches.EmbedAsync(Generator, texts, 256, progress, cancellationToken).ConfigureAwait(false);
        return vectors.Select(Nearest).ToArray();
    }

    internal ClassPrediction Nearest(float[] vector)
    {
        if (vector.Length != _prototypes[0].Length) throw new InvalidOperationException($"embedding has dimension {vector.Length}, prototypes {_prototypes[0].Length}");
        float[] unit = Normalized(vector);
        int best = 0;
        float bestScore = float.NegativeInfinity;
        for (int k = 0; k < _prototypes.Length; k++)
        {
            float score = TensorPrimitives.Dot(unit, _prototypes[k]);
            if (score > bestScore) (best, bestScore) = (k, score);
        }
        return new ClassPrediction(Labels[best], bestScore);
    }

    private static float[] Normalized(float[] v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm == 0 || !float.IsFinite(norm)) throw new InvalidOperationException("an embedding is zero or not finite");
        var result = new float[v.Length];
        TensorPrimitives.Divide(v, norm, result);
        return result;
    }
}
