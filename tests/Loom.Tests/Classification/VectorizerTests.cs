using Loom.Classification;

namespace Loom.Tests.Classification;

public class VectorizerTests
{
    [Fact]
    public void CountVectorizerMakesNGramsWithoutStopWords()
    {
        var options = new CountVectorizerOptions { MinNGram = 1, MaxNGram = 2, StopWords = EnglishStopWords.Set };
        var v = CountVectorizer.Fit(["The cat sat on the mat", "A cat, a hat!"], options);
        Assert.Equal(["cat", "cat hat", "cat sat", "hat", "mat", "sat", "sat mat"], v.Vocabulary);
        var counts = v.Transform("cat cat hat dog");
        Assert.Equal(2f, counts.ToDense()[v.IndexOf("cat")]);
        Assert.Equal(1f, counts.ToDense()[v.IndexOf("cat hat")]);
        Assert.Equal(3, counts.Count);
    }

    [Fact]
    public void DocumentFrequencyLimitsApply()
    {
        var v = CountVectorizer.Fit(["aa bb", "aa cc", "aa bb"], new CountVectorizerOptions { MinDocumentFrequency = 2, MaxDocumentFraction = 0.9 });
        Assert.Equal(["bb"], v.Vocabulary);
        Assert.Throws<ArgumentException>(() => CountVectorizer.Fit(["a b c"], new CountVectorizerOptions())); // only one-letter words
    }

    [Fact]
    public void TfidfMatchesHandComputedSmoothedIdf()
    {
        var v = TfidfVectorizer.Fit(["the cat", "the dog dog"]);
        // idf = ln((1 + n) / (1 + df)) + 1 with n = 2.
        double idfThe = 1, idfRare = Math.Log(3.0 / 2) + 1;
        var row = v.Transform("the dog dog").ToDense();
        double norm = Math.Sqrt(idfThe * idfThe + 4 * idfRare * idfRare);
        Assert.Equal(idfThe / norm, row[v.Counts.IndexOf("the")], 1e-6);
        Assert.Equal(2 * idfRare / norm, row[v.Counts.IndexOf("dog")], 1e-6);
        Assert.Equal(0, row[v.Counts.IndexOf("cat")]);
        Assert.Empty(v.Transform("unknown words only").Indices);
    }
}

public class LabelledTsvTests
{
    [Fact]
    public void EscapesRoundTripAndBadLinesNameTheirNumber()
    {
        string path = Path.Combine(Path.GetTempPath(), $"loom-tsv-{Guid.NewGuid():N}.tsv");
        try
        {
            string tricky = "line one\nline\ttwo with a \\ backslash and a literal \\n";
            LabelledTsv.Write(path, [("a", tricky), ("b", "plain")]);
            var (labels, texts) = LabelledTsv.Read(path);
            Assert.Equal(["a", "b"], labels);
            Assert.Equal([tricky, "plain"], texts);
            File.WriteAllText(path, "a\tfine\nbroken line\n");
            var e = Assert.Throws<FormatException>(() => LabelledTsv.Read(path));
            Assert.Contains("line 2", e.Message);
        }
        finally { File.Delete(path); }
    }
}
