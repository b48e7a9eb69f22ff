using System.Text;
using Microsoft.Extensions.AI;

namespace Loom.Classification;

/// <summary>Options of <see cref="GenerativeClassifier"/>.</summary>
public sealed record GenerativeClassifierOptions
{
    /// <summary>Optional description per label, shown to the model next to the label.</summary>
    public IReadOnlyDictionary<string, string>? Descriptions { get; init; }
    /// <summary>Passed to the chat client (temperature 0 is a good choice for classification).</summary>
    public ChatOptions? ChatOptions { get; init; }
    /// <summary>How many times to ask before giving up on a text whose answer names no label.</summary>
    public int MaxAttempts { get; init; } = 2;
}

/// <summary>
/// Classification by prompting any <see cref="IChatClient"/>: the model is shown the label set and asked to answer with
/// one label; its answer is constrained to the set. An answer that is exactly a label (ignoring case, quotes and
/// punctuation) scores 1; an answer that names exactly one label among other words scores 0.5; otherwise the model is
/// reminded of the labels and asked again. A text still unmatched gets <see cref="Unmatched"/> with score 0, which
/// evaluation counts as wrong.
/// </summary>
public sealed class GenerativeClassifier : ITextClassifier
{
    /// <summary>The label of a text whose answers never named a label.</summary>
    public const string Unmatched = "";

    private readonly IChatClient _client;
    private readonly GenerativeClassifierOptions _options;

    public GenerativeClassifier(IChatClient client, IReadOnlyList<string> labels, GenerativeClassifierOptions? options = null)
    {
        if (labels.Count < 2) throw new ArgumentException("at least two labels are needed");
        if (labels.Any(string.IsNullOrWhiteSpace) || labels.Distinct(StringComparer.OrdinalIgnoreCase).Count() != labels.Count)
            throw new ArgumentException("labels must be non-empty and distinct (ignoring case)");
        _client = client;
        Labels = labels;
        _options = options ?? new GenerativeClassifierOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxAttempts, 1);
    }

    public IReadOnlyList<string> Labels { get; }

    public async Task<IReadOnlyList<ClassPrediction>> ClassifyAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var predictions = new ClassPrediction[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            predictions[i] = await ClassifyOneAsync(texts[i], cancellationToken).ConfigureAwait(false);
            progress?.Report(i + 1);
        }
        return predictions;
    }

    public async Task<ClassPrediction> ClassifyOneAsync(string text, CancellationToken cancellationToken = default)
    {
        var messages = new List<ChatMessage> { new(ChatRole.System, Instructions()), new(ChatRole.User, $"Text: {text}\nLabel:") };
        for (int attempt = 0; attempt < _options.MaxAttempts; attempt++)
        {
            var response = await _client.GetResponseAsync(messages, _options.ChatOptions, cancellationToken).ConfigureAwait(false);
            string answer = response.Text;
            if (Match(answer) is { } prediction) return prediction;
            messages.Add(new ChatMessage(ChatRole.Assistant, answer));
            messages.Add(new ChatMessage(ChatRole.User, $"That is not one of the labels. Answer with exactly one of: {string.Join(", ", Labels)}."));
        }
        return new ClassPrediction(Unmatched, 0);
    }

    private string Instructions()
    {
        var prompt = new StringBuilder("You are a text classifier. Read the text and answer with exactly one label from the list below, and nothing else.\nLabels:\n");
        foreach (string label in Labels)
        {
            prompt.Append("- ").Append(label);
            if (_options.Descriptions?.TryGetValue(label, out string? description) == true) prompt.Append(": ").Append(description);
            prompt.Append('\n');
        }
        return prompt.ToString();
    }

    /// <summary>The label an answer names, if it names exactly one.</summary>
    internal ClassPrediction? Match(string answer)
    {
        string cleaned = answer.Trim().Trim('"', '\'', '`', '.', '!', ' ', '*').Trim();
        if (cleaned.StartsWith("label:", StringComparison.OrdinalIgnoreCase)) cleaned = cleaned[6..].Trim().Trim('"', '\'', '.');
        foreach (string label in Labels)
            if (string.Equals(cleaned, label, StringComparison.OrdinalIgnoreCase)) return new ClassPrediction(label, 1);
        var named = Labels.Where(label => ContainsWord(answer, label)).ToList();
        // A label contained in another named label (e.g. "work" in "homework") does not count twice.
        named = named.Where(l => !named.Any(o => o.Length > l.Length && o.Contains(l, StringComparison.OrdinalIgnoreCase))).ToList();
        return named.Count == 1 ? new ClassPrediction(named[0], 0.5f) : null;
    }

    private static bool ContainsWord(string text, string word)
    {
        for (int at = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            bool startOk = at == 0 || !char.IsLetterOrDigit(text[at - 1]);
            int end = at + word.Length;
            bool endOk = end == text.Length || !char.IsLetterOrDigit(text[end]);
            if (startOk && endOk) return true;
        }
        return false;
    }
}
