using System.Numerics.Tensors;
using System.Text;
using Loom.Classification;
using Microsoft.Extensions.AI;

namespace Loom.Clustering;

/// <summary>A word of a topic's description with its score (c-TF-IDF weight or similarity to the topic).</summary>
public readonly record struct TopicWord(string Word, float Score);

/// <summary>What a representation stage sees of one topic.</summary>
public sealed record TopicDraft(int Id, IReadOnlyList<TopicWord> Candidates, float[] Embedding, IReadOnlyList<string> RepresentativeDocuments);

/// <summary>What a representation stage says about one topic: its words, and a label when it makes one.</summary>
public sealed record TopicDescription(IReadOnlyList<TopicWord> Words, string? Label = null);

/// <summary>
/// The last stage of a <see cref="TopicModel"/>: turns each topic's c-TF-IDF candidates (best first) into its description.
/// </summary>
public interface ITopicRepresentation
{
    Task<IReadOnlyList<TopicDescription>> DescribeAsync(IReadOnlyList<TopicDraft> topics, int wordCount, CancellationToken cancellationToken = default);
}

/// <summary>The c-TF-IDF words as they are (BERTopic's default).</summary>
public sealed class ClassTfidfRepresentation : ITopicRepresentation
{
    public Task<IReadOnlyList<TopicDescription>> DescribeAsync(IReadOnlyList<TopicDraft> topics, int wordCount, CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<TopicDescription>>(topics.Select(t => new TopicDescription(t.Candidates.Take(wordCount).ToArray())).ToArray());
}

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

/// <summary>Keeps the c-TF-IDF words and asks any <see cref="IChatClient"/> for a short label from them and the representative documents.</summary>
public sealed class ChatTopicLabeler(IChatClient client, ChatOptions? options = null) : ITopicRepresentation
{
    public async Task<IReadOnlyList<TopicDescription>> DescribeAsync(IReadOnlyList<TopicDraft> topics, int wordCount, CancellationToken cancellationToken = default)
    {
        var result = new List<TopicDescription>();
        foreach (var topic in topics)
        {
            var words = topic.Candidates.Take(wordCount).ToArray();
            var prompt = new StringBuilder("I have a topic that contains the following documents:\n");
            foreach (string document in topic.RepresentativeDocuments) prompt.Append("- ").Append(document.ReplaceLineEndings(" ")).Append('\n');
            prompt.Append("The topic is described by the following keywords: ").Append(string.Join(", ", words.Select(w => w.Word))).Append('\n');
            prompt.Append("Based on the information above, give a short label of the topic (at most five words). Answer with the label only.");
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt.ToString())], options, cancellationToken).ConfigureAwait(false);
            string label = response.Text.Trim().Split('\n')[0].Trim().Trim('"', '\'', '.', '*').Trim();
            result.Add(new TopicDescription(words, label.Length == 0 ? null : label));
        }
        return result;
    }
}

internal static class WordVectors
{
    public static async Task<Dictionary<string, float[]>> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, IReadOnlyList<TopicDraft> topics, CancellationToken cancellationToken)
    {
        string[] words = topics.SelectMany(t => t.Candidates.Select(c => c.Word)).Distinct(StringComparer.Ordinal).ToArray();
        var vectors = await EmbeddingBatches.EmbedAsync(generator, words, 64, null, cancellationToken).ConfigureAwait(false);
        return words.Select((w, i) => (w, i)).ToDictionary(e => e.w, e => vectors[e.i], StringComparer.Ordinal);
    }
}
