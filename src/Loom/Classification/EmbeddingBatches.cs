using Microsoft.Extensions.AI;

namespace Loom.Classification;

/// <summary>Embeds many texts through any <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/> in batches.</summary>
public static class EmbeddingBatches
{
    /// <summary>
    /// One vector per text; <paramref name="progress"/> receives the number of texts done. Large batches let an encoder
    /// that sorts by length (as SentenceEncoder does) pack them well.
    /// </summary>
    public static async Task<float[][]> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, IReadOnlyList<string> texts,
        int batchSize = 32, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var vectors = new float[texts.Count][];
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, texts.Count - start);
            var batch = await generator.GenerateAsync(Enumerable.Range(start, count).Select(i => texts[i]), null, cancellationToken).ConfigureAwait(false);
            if (batch.Count != count) throw new InvalidOperationException($"the embedding generator returned {batch.Count} vectors for {count} texts");
            for (int i = 0; i < count; i++)
            {
                vectors[start + i] = batch[i].Vector.ToArray();
                if (vectors[start + i].Length != vectors[0].Length) throw new InvalidOperationException("the embedding generator returned vectors of different dimensions");
            }
            progress?.Report(start + count);
        }
        return vectors;
    }

    /// <summary>The generator's model id, when it says (recorded in saved models to catch a mismatch).</summary>
    public static string? ModelId(IEmbeddingGenerator<string, Embedding<float>> generator)
        => generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId;
}
