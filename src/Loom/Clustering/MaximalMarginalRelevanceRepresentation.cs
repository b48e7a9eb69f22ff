using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace Loom.Clustering;

/// <summary>
/// Maximal marginal relevance (Carbonell and Goldstein 1998) over the c-TF-IDF candidates: repeatedly take the word
/// maximising (1 − diversity) · sim(word, topic) − diversity · max sim(word, chosen words).
/// </summary>
public sealed class MaximalMarginalRelevanceRepresentation(IEmbeddingGenerator<string, Embedding<float>> generator, double diversity = 0.3) : ITopicRepresentation
{
    public async Task<IReadOnlyList<TopicDescription>> DescribeAsync(IReadOnlyList<TopicDraft> topics, int wordCount, CancellationToken cancellationToken = default)
    {
        var vectors = await WordVectors.EmbedAsync(generator, topics, cancellationToken).ConfigureAwait(false);
        return topics.Select(t => new TopicDescription(Select(t.Candidates.Select(c => c.Word).ToList(), w => vectors[w], t.Embedding, wordCount, diversity))).ToArray();
    }

    internal static IReadOnlyList<TopicWord> Select(List<string> candidates, Func<string, float[]> vector, float[] topic, int count, double diversity)
    {
        var relevance = candidates.ToDictionary(w => w, w => (double)TensorPrimitives.CosineSimilarity(vector(w), topic));
        var chosen = new List<TopicWord>();
        var left = new List<string>(candidates);
        while (chosen.Count < count && left.Count > 0)
        {
            string best = left.MaxBy(w => (1 - diversity) * relevance[w]
                - diversity * (chosen.Count == 0 ? 0 : chosen.Max(c => TensorPrimitives.CosineSimilarity(vector(w), vector(c.Word)))))!;
            chosen.Add(new TopicWord(best, (float)relevance[best]));
            left.Remove(best);
        }
        return chosen;
    }
}
