using System.Text.RegularExpressions;

namespace Loom.Classification;

/// <summary>Options of <see cref="CountVectorizer"/>; the defaults follow scikit-learn's.</summary>
public sealed record CountVectorizerOptions
{
    public bool Lowercase { get; init; } = true;
    /// <summary>Shortest and longest n-gram, in words.</summary>
    public int MinNGram { get; init; } = 1;
    public int MaxNGram { get; init; } = 1;
    /// <summary>Words dropped before n-grams are formed (e.g. <see cref="EnglishStopWords.Set"/>).</summary>
    public IReadOnlySet<string>? StopWords { get; init; }
    /// <summary>Terms in fewer documents than this are dropped.</summary>
    public int MinDocumentFrequency { get; init; } = 1;
    /// <summary>Terms in more than this fraction of documents are dropped.</summary>
    public double MaxDocumentFraction { get; init; } = 1.0;
    /// <summary>Keep only the most frequent terms (by total count), or all when null.</summary>
    public int? MaxFeatures { get; init; }
}

/// <summary>
/// Bag of n-grams: learns a vocabulary (sorted ordinally, as scikit-learn does) and turns documents into term counts.
/// Words are runs of two or more word characters (scikit-learn's default token pattern).
/// </summary>
public sealed class CountVectorizer
{
    private static readonly Regex Word = new(@"\b\w\w+\b", RegexOptions.Compiled | RegexOptions.CultureInvariant);
    private readonly Dictionary<string, int> _index;

    private CountVectorizer(CountVectorizerOptions options, string[] vocabulary)
    {
        Options = options;
        Vocabulary = vocabulary;
        _index = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (int i = 0; i < vocabulary.Length; i++)
            if (!_index.TryAdd(vocabulary[i], i)) throw new ArgumentException($"duplicate term '{vocabulary[i]}'");
    }

    public CountVectorizerOptions Options { get; }
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>A vectoriser with a known vocabulary (e.g. read back from a saved model).</summary>
    public static CountVectorizer FromVocabulary(IReadOnlyList<string> vocabulary, CountVectorizerOptions? options = null)
        => new(options ?? new CountVectorizerOptions(), vocabulary.ToArray());

    public static CountVectorizer Fit(IReadOnlyList<string> documents, CountVectorizerOptions? options = null)
    {
        options ??= new CountVectorizerOptions();
        if (options.MinNGram < 1 || options.MaxNGram < options.MinNGram) throw new ArgumentException("n-gram range must satisfy 1 ≤ min ≤ max");
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        var totalCount = new Dictionary<string, long>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string document in documents)
        {
            seen.Clear();
            foreach (string term in Terms(document, options))
            {
                totalCount[term] = totalCount.GetValueOrDefault(term) + 1;
                if (seen.Add(term)) documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
            }
        }
        double maxDocuments = options.MaxDocumentFraction * documents.Count;
        IEnumerable<string> kept = documentFrequency
            .Where(e => e.Value >= options.MinDocumentFrequency && e.Value <= maxDocuments)
            .Select(e => e.Key);
        if (options.MaxFeatures is int max)
            kept = kept.OrderByDescending(t => totalCount[t]).ThenBy(t => t, StringComparer.Ordinal).Take(max);
        string[] vocabulary = kept.Order(StringComparer.Ordinal).ToArray();
        if (vocabulary.Length == 0) throw new ArgumentException("no terms left: the documents are empty or every word was filtered out");
        return new CountVectorizer(options, vocabulary);
    }

    public int IndexOf(string term) => _index.GetValueOrDefault(term, -1);

    /// <summary>Counts of the vocabulary's terms in <paramref name="document"/>.</summary>
    public SparseVector Transform(string document)
    {
        var counts = new Dictionary<int, float>();
        foreach (string term in Terms(document, Options))
            if (_index.TryGetValue(term, out int i)) counts[i] = counts.GetValueOrDefault(i) + 1;
        return SparseVector.FromDictionary(Vocabulary.Count, counts);
    }

    /// <summary>The document's terms (n-grams of its words) in order, with repeats.</summary>
    public static IEnumerable<string> Terms(string document, CountVectorizerOptions options)
    {
        var words = new List<string>();
        foreach (Match match in Word.Matches(options.Lowercase ? document.ToLowerInvariant() : document))
            if (options.StopWords is null || !options.StopWords.Contains(match.Value)) words.Add(match.Value);
        for (int n = options.MinNGram; n <= options.MaxNGram; n++)
            for (int start = 0; start + n <= words.Count; start++)
                yield return n == 1 ? words[start] : string.Join(' ', words.GetRange(start, n));
    }
}
