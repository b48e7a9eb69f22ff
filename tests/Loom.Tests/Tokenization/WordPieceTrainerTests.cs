using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

public sealed class WordPieceTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void TrainedTokenizerJsonEncodesTheSameInLoomAndHuggingFace()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-wordpiece-{Guid.NewGuid():N}.json");
        try
        {
            WordPieceTrainer.Train(Fortunes.Entries.Take(3000), path, new WordPieceTrainerOptions { VocabularySize = 3000 });
            var loom = TokenizerResolver.Resolve(path);
            Assert.IsType<BertWordPieceTokenizer>(loom);
            Assert.InRange(((BertWordPieceTokenizer)loom).VocabularySize, 2500, 3000);
            var hf = HuggingFaceReference.Load(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!);
            var texts = Fortunes.Entries.Concat(ManPageSample.Texts).Concat(BertWordPieceParityTests.HardCases).ToList();
            var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
            output.WriteLine($"{differing.Count} of {texts.Count} differ");
            Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
            // The vocabulary learnt whole words: far fewer tokens than characters, few unknowns.
            double chars = Fortunes.Entries.Sum(e => e.Length), tokens = Fortunes.Entries.Sum(e => loom.CountTokens(e));
            output.WriteLine($"{chars / tokens:F2} characters per token");
            Assert.True(chars / tokens > 2.5);
        }
        finally { File.Delete(path); }
    }
}
