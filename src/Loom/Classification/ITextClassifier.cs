namespace Loom.Classification;

/// <summary>A predicted label with the classifier's score for it (a probability or a cosine similarity).</summary>
public sealed record ClassPrediction(string Label, float Score);

/// <summary>Anything that puts texts into one of a fixed set of labels.</summary>
public interface ITextClassifier
{
    IReadOnlyList<string> Labels { get; }

    /// <summary>One prediction per text, in order.</summary>
    Task<IReadOnlyList<ClassPrediction>> ClassifyAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default);
}
