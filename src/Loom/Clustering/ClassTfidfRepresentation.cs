namespace Loom.Clustering;

/// <summary>The c-TF-IDF words as they are (BERTopic's default).</summary>
public sealed class ClassTfidfRepresentation : ITopicRepresentation
{
    public Task<IReadOnlyList<TopicDescription>> DescribeAsync(IReadOnlyList<TopicDraft> topics, int wordCount, CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<TopicDescription>>(topics.Select(t => new TopicDescription(t.Candidates.Take(wordCount).ToArray())).ToArray());
}
