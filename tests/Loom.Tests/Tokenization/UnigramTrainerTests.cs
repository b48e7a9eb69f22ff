using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

public sealed class UnigramTrainerTests(ITestOutputHelper output)
{
    /// <summary>Fortunes as lines, the way SentencePiece reads a corpus.</summary>
    internal static IEnumerable<string> Lines(IEnumerable<string> texts) =>
        texts.SelectMany(t => t.Split('\n')).Where(l => l.Length > 0);

    /// <summary>The corpus of these tests: the lines of the first 6000 fortunes.</summary>
    private static readonly Lazy<List<string>> Corpus = new(() => Lines(Fortunes.Entries.Take(6000)).ToList());

    /// <summary>One training run shared by the tests: the tokenizer.json (in a temporary file) and the progress reported.</summary>
    private static readonly Lazy<(string Path, List<UnigramTrainerProgress> Reports, double Seconds)> Trained = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-unigram-{Guid.NewGuid():N}.json");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var reports = new List<UnigramTrainerProgress>();
        UnigramTrainer.Train(Corpus.Value, path, new UnigramTrainerOptions { VocabularySize = 2000, SpecialTokens = ["<s>", "</s>"] },
            new SynchronousProgress<UnigramTrainerProgress>(reports.Add));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return (path, reports, clock.Elapsed.TotalSeconds);
    });

    [Fact]
    public void TrainedTokenizerJsonEncodesTheSameInLoomAndHuggingFace()
    {
        var (path, reports, seconds) = Trained.Value;
        output.WriteLine($"trained 2000 pieces in {seconds:F1} s; {reports.Count} EM iterations, {reports[0].Pieces} pieces after the first");
        foreach (var r in reports) output.WriteLine($"  round {r.Round}: {r.Pieces} pieces, loss {r.Loss:F3}");
        var loom = TokenizerResolver.Resolve(path);
        var unigram = Assert.IsType<UnigramTokenizer>(loom);
        Assert.Equal(2000, unigram.Vocabulary.Count);
        Assert.Equal([0, 1, 2], new[] { "<unk>", "<s>", "</s>" }.Select(t => unigram.Vocabulary[t]));
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        var hf = HuggingFaceReference.Load(json);
        var texts = Fortunes.Entries.Concat(ManPageSample.Texts).Concat(BertWordPieceParityTests.HardCases).Append("<s>a </s>b<unk>").ToList();
        var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
        output.WriteLine($"{differing.Count} of {texts.Count} differ");
        Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
        // A lone surrogate is one unknown character, as the U+FFFD a UTF-8 reader sees in its place.
        foreach (var text in BertWordPieceParityTests.LoneSurrogates)
            Assert.Equal(hf.Ids(System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(text))), loom.EncodeToIds(text));
        // EM raises the likelihood between prunings, and the pieces learnt compress the corpus.
        Assert.True(reports[1].Loss < reports[0].Loss);
        double chars = Fortunes.Entries.Sum(e => e.Length), tokens = Fortunes.Entries.Sum(e => loom.CountTokens(e));
        output.WriteLine($"{chars / tokens:F2} characters per token");
        Assert.True(chars / tokens > 2.5);
        foreach (var text in texts.Take(3000))
        {
            var ids = hf.Ids(text);
            Assert.Equal(hf.Decode(ids.Select(i => (uint)i).ToArray()), loom.Decode(ids));
        }
    }

    /// <summary>
    /// SentencePiece 0.1.97's own trainer on the same lines (no normalisation, as Loom's): the two vocabularies share most
    /// pieces and cut the text about as finely. Not equal: spm also splits pieces where the Unicode script changes ("foo."
    /// cannot be a piece) and at digits, its seeds come from a suffix array over whole lines, and tie-breaks differ; the
    /// bench reports the same figures on the whole man-pages corpus.
    /// </summary>
    [Fact]
    public void VocabularyIsCloseToSentencePieces()
    {
        var directory = Directory.CreateTempSubdirectory("loom-spm-").FullName;
        try
        {
            var lines = Corpus.Value;
            var corpus = Path.Combine(directory, "corpus.txt");
            File.WriteAllLines(corpus, lines);
            Run("spm_train", $"--input={corpus}", $"--model_prefix={directory}/spm", "--model_type=unigram", "--vocab_size=2000",
                "--normalization_rule_name=identity", "--remove_extra_whitespaces=false", "--minloglevel=2");
            var loom = (UnigramTokenizer)TokenizerJsonLoader.Load(Trained.Value.Path);
            var spm = File.ReadLines($"{directory}/spm.vocab").Select(l => l.Split('\t')[0]).Skip(3).ToHashSet(StringComparer.Ordinal);
            var ours = loom.Vocabulary.Keys.Where(p => p is not ("<unk>" or "<s>" or "</s>")).ToList();
            double overlap = ours.Count(spm.Contains) / (double)ours.Count;
            var sample = lines.Where((_, i) => i % 10 == 0).ToList();
            File.WriteAllLines(corpus, sample);
            var spmIds = Run("spm_encode", $"--model={directory}/spm.model", "--output_format=id", $"--input={corpus}");
            double chars = sample.Sum(l => l.Length);
            double loomPerToken = chars / sample.Sum(l => loom.CountTokens(l));
            double spmPerToken = chars / spmIds.Split('\n', ' ').Count(t => t.Length > 0);
            output.WriteLine($"overlap {overlap:P1}; characters per token: Loom {loomPerToken:F3}, spm {spmPerToken:F3}");
            Assert.InRange(overlap, 0.6, 1);
            Assert.InRange(loomPerToken / spmPerToken, 0.95, 1.15); // Loom's may join scripts, so it may cut a little coarser
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program}: {errors.Result}");
        return text;
    }

    [Fact]
    public void TheSameCorpusGivesTheSameFileWithOneOrTwoThreads()
    {
        var one = Path.Combine(Path.GetTempPath(), $"loom-unigram-1-{Guid.NewGuid():N}.json");
        var two = Path.Combine(Path.GetTempPath(), $"loom-unigram-2-{Guid.NewGuid():N}.json");
        try
        {
            var lines = Lines(Fortunes.Entries.Take(1500)).ToList();
            UnigramTrainer.Train(lines, one, new UnigramTrainerOptions { VocabularySize = 600, Threads = 1 });
            UnigramTrainer.Train(lines, two, new UnigramTrainerOptions { VocabularySize = 600, Threads = 2 });
            Assert.Equal(File.ReadAllText(one), File.ReadAllText(two));
        }
        finally { File.Delete(one); File.Delete(two); }
    }

    [Fact]
    public void BadOptionsAndCancellationAreRefused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-never-{Guid.NewGuid():N}.json");
        Assert.Throws<ArgumentOutOfRangeException>(() => UnigramTrainer.Train(["a b"], path, new UnigramTrainerOptions { VocabularySize = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => UnigramTrainer.Train(["a b"], path, new UnigramTrainerOptions { ShrinkingFactor = 1 }));
        var tooSmall = Assert.Throws<ArgumentOutOfRangeException>(() => UnigramTrainer.Train(["abcdefghij"], path, new UnigramTrainerOptions { VocabularySize = 5 }));
        Assert.Contains("characters", tooSmall.Message);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => UnigramTrainer.Train(Fortunes.Entries, path, cancellationToken: cancel.Token));
        Assert.False(File.Exists(path));
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
