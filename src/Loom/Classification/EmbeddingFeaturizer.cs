using Microsoft.Extensions.AI;

namespace Loom.Classification;

/// <summary>Frozen sentence embeddings as features.</summary>
public sealed class EmbeddingFeaturizer(IEmbeddingGenerator<string, Embedding<float>> generator, int batchSize = 256) : ITextFeaturizer
{
    public string Kind => "embeddings";
    public IEmbeddingGenerator<string, Embedding<float>> Generator { get; } = generator;

    public async Task<FeatureRows> FeaturizeAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
        => FeatureRows.Dense(await EmbeddingBatches.EmbedAsync(Generator, texts, batchSize, progress, cancellationToken).ConfigureAwait(false));
}
