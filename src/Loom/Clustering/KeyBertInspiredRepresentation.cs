using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace Loom.Clustering;

/// <summary>
/// KeyBERT-inspired: embed the c-TF-IDF candidates and rank them by cosine similarity to the topic's embedding
/// (the normalised mean of its documents' embeddings).
/// </summary>
public sealed class KeyBertInspiredRepresentation(IEmbeddingGenerator<string, Embedding<float>> generator) : ITopicRepresentation
{
    public async Task<IReadOnlyList<TopicDescription>> DescribeAsync(IReadOnlyList<TopicDraft> topics, int wordCount, CancellationToken cancellationToken = default)
    {
        var vectors = await WordVectors.EmbedAsync(generator, topics, cancellationToken).ConfigureAwait(false);
        return topics.Select(t => new TopicDescription(t.Candidates
            .Select(c => new TopicWord(c.Word, TensorPrimitives.CosineSimilarity(vectors[c.Word], t.Embedding)))
            .OrderByDescending(w => w.Score).Take(wordCount).ToArray())).ToArray();
    }
}
