using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

public sealed class UnigramTrainerTests(ITestOutputHelper output)
{
    /// <summary>Fortunes as lines, the way SentencePiece reads a corpus.</summary>
    internal static IEnumerable<string> Lines(IEnumerable<string> texts) =>
        texts.SelectMany(t => t.Split('\n')).Where(l => l.Length > 0);

    [Fact]
    public void TrainedTokenizerJsonEncodesTheSameInLoomAndHuggingFace()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-unigram-{Guid.NewGuid():N}.json");
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var reports = new List<UnigramTrainerProgress>();
            UnigramTrainer.Train(Lines(Fortunes.Entries), path, new UnigramTrainerOptions { VocabularySize = 2000, SpecialTokens = ["<s>", "</s>"] },
                new SynchronousProgress<UnigramTrainerProgress>(reports.Add));
            output.WriteLine($"trained 2000 pieces in {clock.Elapsed.TotalSeconds:F1} s; {reports.Count} EM iterations, seed {reports[0].Pieces} pieces");
            foreach (var r in reports) output.WriteLine($"  round {r.Round}: {r.Pieces} pieces, loss {r.Loss:F3}");
            var loom = TokenizerResolver.Resolve(path);
            var unigram = Assert.IsType<UnigramTokenizer>(loom);
            Assert.Equal(2000, unigram.Vocabulary.Count);
            Assert.Equal([0, 1, 2], new[] { "<unk>", "<s>", "</s>" }.Select(t => unigram.Vocabulary[t]));
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            var hf = HuggingFaceReference.Load(json);
            var texts = Fortunes.Entries.Concat(BertWordPieceParityTests.HardCases).Append("<s>a </s>b<unk>").ToList();
            var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
            output.WriteLine($"{differing.Count} of {texts.Count} differ");
            Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
            // EM raises the likelihood between prunings, and the pieces learnt compress the corpus.
            Assert.True(reports[1].Loss < reports[0].Loss);
            double chars = Fortunes.Entries.Sum(e => e.Length), tokens = Fortunes.Entries.Sum(e => loom.CountTokens(e));
            output.WriteLine($"{chars / tokens:F2} characters per token");
            Assert.True(chars / tokens > 2.5);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void DigammaMatchesKnownValues()
    {
        const double EulerGamma = 0.57721566490153286;
        Assert.Equal(-EulerGamma, UnigramTrainer.Digamma(1), 1e-12);
        Assert.Equal(-EulerGamma - 2 * Math.Log(2), UnigramTrainer.Digamma(0.5), 1e-12);
        Assert.Equal(1 + 1.0 / 2 + 1.0 / 3 - EulerGamma, UnigramTrainer.Digamma(4), 1e-12);
        Assert.Equal(Math.Log(1e6) - 0.5e-6, UnigramTrainer.Digamma(1e6), 1e-12);
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
