using Microsoft.Extensions.AI;

namespace Loom.Retrieval;

/// <summary>Names an embedding generator for the store: its metadata's model id and dimensions, probing one
/// embedding when the generator does not declare its dimension.</summary>
public static class EmbeddingModels
{
    public static async Task<EmbeddingModelInfo> DescribeAsync(IEmbeddingGenerator<string, Embedding<float>> generator, CancellationToken cancellationToken = default)
    {
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        var name = metadata?.DefaultModelId ?? generator.GetType().FullName ?? generator.GetType().Name;
        var dimensions = metadata?.DefaultModelDimensions;
        if (dimensions is null)
        {
            var probe = await generator.GenerateAsync(["dimension probe"], cancellationToken: cancellationToken).ConfigureAwait(false);
            dimensions = probe[0].Vector.Length;
        }
        return new EmbeddingModelInfo(name, dimensions.Value);
    }

    /// <summary>Embeds texts in batches, checking the generator returns one vector per text.</summary>
    internal static async Task<List<ReadOnlyMemory<float>>> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, IReadOnlyList<string> texts, int batchSize, CancellationToken cancellationToken)
    {
        var vectors = new List<ReadOnlyMemory<float>>(texts.Count);
        for (var start = 0; start < texts.Count; start += batchSize)
        {
            var batch = texts.Skip(start).Take(batchSize).ToList();
            var embeddings = await generator.GenerateAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (embeddings.Count != batch.Count) throw new InvalidOperationException($"the embedding generator returned {embeddings.Count} vectors for {batch.Count} texts");
            vectors.AddRange(embeddings.Select(e => e.Vector));
        }
        return vectors;
    }
}
