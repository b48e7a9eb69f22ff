using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

public sealed class ByteLevelBpeTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void TrainedTokenizerJsonEncodesTheSameInLoomAndHuggingFace()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-trained-{Guid.NewGuid():N}.json");
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var reports = new List<BpeTrainerProgress>();
            ByteLevelBpeTrainer.Train(Fortunes.Entries.Take(3000), path, new BpeTrainerOptions { VocabularySize = 2000, SpecialTokens = ["<|endoftext|>", "<pad>"] },
                new SynchronousProgress<BpeTrainerProgress>(reports.Add));
            output.WriteLine($"trained 2000 tokens in {clock.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(2000 - 2 - 256, reports[^1].Merges);
            var loom = TokenizerResolver.Resolve(path);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            var hf = HuggingFaceReference.Load(json);
            var texts = Fortunes.Entries.Concat(ManPageSample.Texts).Concat(BertWordPieceParityTests.HardCases).Append("a <pad> b<|endoftext|>").ToList();
            var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
            output.WriteLine($"{differing.Count} of {texts.Count} differ");
            Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
            foreach (var text in texts.Take(2000)) Assert.Equal(text, loom.Decode(loom.EncodeToIds(text)));
            // Training compresses: far fewer tokens than bytes on the corpus it learnt from.
            double bytes = Fortunes.Entries.Sum(e => System.Text.Encoding.UTF8.GetByteCount(e));
            double tokens = Fortunes.Entries.Sum(e => loom.CountTokens(e));
            output.WriteLine($"{bytes / tokens:F2} bytes per token");
            Assert.True(bytes / tokens > 2.5);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TrainingStopsWhenCancelled()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ByteLevelBpeTrainer.Train(Fortunes.Entries, Path.Combine(Path.GetTempPath(), "never.json"), cancellationToken: cancel.Token));
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
