namespace Loom.Classification;

/// <summary>TF-IDF vectors of a fitted <see cref="TfidfVectorizer"/> as features.</summary>
public sealed class TfidfFeaturizer(TfidfVectorizer vectorizer) : ITextFeaturizer
{
    public string Kind => "tfidf";
    public TfidfVectorizer Vectorizer { get; } = vectorizer;

    public Task<FeatureRows> FeaturizeAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var rows = new SparseVector[texts.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rows[i] = Vectorizer.Transform(texts[i]);
            if ((i + 1) % 1000 == 0) progress?.Report(i + 1);
        }
        progress?.Report(rows.Length);
        return Task.FromResult(FeatureRows.Sparse(rows));
    }
}
