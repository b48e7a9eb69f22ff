using System.Text;
using Microsoft.Extensions.AI;

namespace Loom.Clustering;

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
