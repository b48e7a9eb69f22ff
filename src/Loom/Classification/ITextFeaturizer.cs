using Microsoft.Extensions.AI;

namespace Loom.Classification;

/// <summary>Turns texts into the feature rows a <see cref="TextClassifier"/> trains on.</summary>
public interface ITextFeaturizer
{
    /// <summary>"embeddings" or "tfidf": what a saved model records.</summary>
    string Kind { get; }

    Task<FeatureRows> FeaturizeAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>Frozen sentence embeddings as features.</summary>
public sealed class EmbeddingFeaturizer(IEmbeddingGenerator<string, Embedding<float>> generator, int batchSize = 256) : ITextFeaturizer
{
    public string Kind => "embeddings";
    public IEmbeddingGenerator<string, Embedding<float>> Generator { get; } = generator;

    public async Task<FeatureRows> FeaturizeAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
        => FeatureRows.Dense(await EmbeddingBatches.EmbedAsync(Generator, texts, batchSize, progress, cancellationToken).ConfigureAwait(false));
}

/// <summary>TF-IDF vectors of a fitted <see cref="TfidfVectorizer"/> as features.</summary>
public sealed class TfidfFeaturizer(TfidfVectorizer vectorizer) : ITextFeaturizer
{
    public string Kind => "tfidf";
    public TfidfVectorizer Vectorizer { get; } = vectorizer;

    public Task<FeatureRows> FeaturizeAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var rows = new SparseVector[texts.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rows[i] = Vectorizer.Transform(texts[i]);
            if ((i + 1) % 1000 == 0) progress?.Report(i + 1);
        }
        progress?.Report(rows.Length);
        return Task.FromResult(FeatureRows.Sparse(rows));
    }
}
