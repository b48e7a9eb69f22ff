using Loom.Classification;
using Microsoft.Extensions.AI;

namespace Loom.Clustering;

/// <summary>Embeds the c-TF-IDF candidates of all topics once, for the embedding-based representations.</summary>
internal static class WordVectors
{
    public static async Task<Dictionary<string, float[]>> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, IReadOnlyList<TopicDraft> topics, CancellationToken cancellationToken)
    {
        string[] words = topics.SelectMany(t => t.Candidates.Select(c => c.Word)).Distinct(StringComparer.Ordinal).ToArray();
        var vectors = await EmbeddingBatches.EmbedAsync(generator, words, 64, null, cancellationToken).ConfigureAwait(false);
        return words.Select((w, i) => (w, i)).ToDictionary(e => e.w, e => vectors[e.i], StringComparer.Ordinal);
    }
}
