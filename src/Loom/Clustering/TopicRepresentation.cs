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
