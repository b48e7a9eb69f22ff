namespace Loom.Classification;

/// <summary>Options of <see cref="TfidfVectorizer"/>.</summary>
public sealed record TfidfVectorizerOptions
{
    public CountVectorizerOptions Counts { get; init; } = new();
    /// <summary>Use 1 + ln(tf) instead of the raw count.</summary>
    public bool SublinearTf { get; init; }
}

/// <summary>
/// TF-IDF features as scikit-learn computes them by default: idf = ln((1 + n) / (1 + df)) + 1 (smoothed),
/// weight = tf × idf, each document L2-normalised.
/// </summary>
public sealed class TfidfVectorizer
{
    private readonly float[] _idf;

    private TfidfVectorizer(CountVectorizer counts, float[] idf, bool sublinearTf)
    {
        if (idf.Length != counts.Vocabulary.Count) throw new ArgumentException("one idf per vocabulary term is needed");
        Counts = counts;
        _idf = idf;
        SublinearTf = sublinearTf;
    }

    public CountVectorizer Counts { get; }
    public bool SublinearTf { get; }
    public IReadOnlyList<float> InverseDocumentFrequency => _idf;
    public int Dimension => _idf.Length;

    public static TfidfVectorizer Fit(IReadOnlyList<string> documents, TfidfVectorizerOptions? options = null)
    {
        options ??= new TfidfVectorizerOptions();
        var counts = CountVectorizer.Fit(documents, options.Counts);
        var df = new int[counts.Vocabulary.Count];
        foreach (string document in documents)
            foreach (int i in counts.Transform(document).Indices) df[i]++;
        var idf = new float[df.Length];
        for (int i = 0; i < df.Length; i++) idf[i] = (float)(Math.Log((1.0 + documents.Count) / (1.0 + df[i])) + 1.0);
        return new TfidfVectorizer(counts, idf, options.SublinearTf);
    }

    /// <summary>A vectoriser with known vocabulary and idf (e.g. read back from a saved model).</summary>
    public static TfidfVectorizer FromParts(CountVectorizer counts, float[] idf, bool sublinearTf) => new(counts, idf, sublinearTf);

    public SparseVector Transform(string document)
    {
        var counts = Counts.Transform(document);
        var values = new float[counts.Count];
        double norm = 0;
        for (int j = 0; j < values.Length; j++)
        {
            double tf = SublinearTf ? 1 + Math.Log(counts.Values[j]) : counts.Values[j];
            values[j] = (float)(tf * _idf[counts.Indices[j]]);
            norm += (double)values[j] * values[j];
        }
        if (norm > 0)
        {
            float scale = (float)(1 / Math.Sqrt(norm));
            for (int j = 0; j < values.Length; j++) values[j] *= scale;
        }
        return new SparseVector(counts.Dimension, counts.Indices, values);
    }
}
