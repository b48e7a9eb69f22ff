using Loom.Classification;

namespace Loom.Clustering;

/// <summary>Quality measures of topic word lists: diversity and NPMI coherence.</summary>
public static class TopicMetrics
{
    /// <summary>Unique words among all topics' top words divided by the number of those words (1 = no word shared).</summary>
    public static double Diversity(IReadOnlyList<IReadOnlyList<string>> topicWords, int topK = 25)
    {
        var words = topicWords.SelectMany(t => t.Take(topK)).ToList();
        return words.Count == 0 ? 0 : (double)words.Distinct(StringComparer.Ordinal).Count() / words.Count;
    }

    /// <summary>
    /// Mean NPMI (Bouma 2009) over the pairs of each topic's top words, averaged over topics, with documents as the
    /// co-occurrence windows: NPMI = ln(P(a,b) / (P(a) P(b))) / −ln P(a,b); −1 for words that never co-occur,
    /// 1 for words that occur in every document together. Topics with fewer than two words found are skipped.
    /// </summary>
    public static double NpmiCoherence(IReadOnlyList<IReadOnlyList<string>> topicWords, IReadOnlyList<IReadOnlySet<string>> documentTerms, int topK = 10)
    {
        int n = documentTerms.Count;
        if (n == 0) throw new ArgumentException("no documents");
        var postings = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var word in topicWords.SelectMany(t => t.Take(topK)).Distinct(StringComparer.Ordinal))
            postings[word] = Enumerable.Range(0, n).Where(d => documentTerms[d].Contains(word)).ToList();
        var topicScores = new List<double>();
        foreach (var topic in topicWords)
        {
            var words = topic.Take(topK).Where(w => postings[w].Count > 0).Distinct(StringComparer.Ordinal).ToList();
            var pairs = new List<double>();
            for (int i = 0; i < words.Count; i++)
                for (int j = i + 1; j < words.Count; j++)
                {
                    double pa = (double)postings[words[i]].Count / n, pb = (double)postings[words[j]].Count / n;
                    double pab = (double)postings[words[i]].Intersect(postings[words[j]]).Count() / n;
                    pairs.Add(pab == 0 ? -1 : pab == 1 ? 1 : Math.Log(pab / (pa * pb)) / -Math.Log(pab));
                }
            if (pairs.Count > 0) topicScores.Add(pairs.Average());
        }
        return topicScores.Count == 0 ? 0 : topicScores.Average();
    }

    /// <summary>The term sets of documents as a vectoriser with <paramref name="options"/> sees them.</summary>
    public static IReadOnlyList<IReadOnlySet<string>> DocumentTerms(IReadOnlyList<string> documents, CountVectorizerOptions options)
        => documents.Select(d => (IReadOnlySet<string>)new HashSet<string>(CountVectorizer.Terms(d, options), StringComparer.Ordinal)).ToArray();
}
