namespace Loom.Classification;

/// <summary>Turns texts into the feature rows a <see cref="TextClassifier"/> trains on.</summary>
public interface ITextFeaturizer
{
    /// <summary>"embeddings" or "tfidf": what a saved model records.</summary>
    string Kind { get; }

    Task<FeatureRows> FeaturizeAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default);
}
