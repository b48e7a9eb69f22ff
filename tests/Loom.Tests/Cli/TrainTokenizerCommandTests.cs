using Loom.Cli.Commands;
using Loom.Tokenization;

namespace Loom.Tests.Cli;

public sealed class TrainTokenizerCommandTests
{
    [Theory]
    [InlineData("unigram", typeof(UnigramTokenizer))]
    [InlineData("wordpiece", typeof(BertWordPieceTokenizer))]
    public void TrainsATokenizerJsonThatLoads(string model, Type expected)
    {
        var directory = Directory.CreateTempSubdirectory("loom-train-cli-").FullName;
        try
        {
            var corpus = Path.Combine(directory, "corpus.txt");
            File.WriteAllLines(corpus, Tokenization.Fortunes.Entries.Take(1500).SelectMany(e => e.Split('\n')));
            var output = Path.Combine(directory, "tokenizer.json");
            Assert.Equal(0, TrainTokenizerCommand.Create().Parse([corpus, "--model", model, "--vocab-size", "600", "--out", output]).Invoke());
            var tokenizer = TokenizerResolver.Resolve(output);
            Assert.IsType(expected, tokenizer);
            Assert.True(tokenizer.EncodeToIds("The quick brown fox").Count > 0);
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Theory]
    [InlineData("--model", "sentencepiece")]
    [InlineData("/no/such/corpus.txt")]
    [InlineData("--vocab-size", "1")]
    public void BadRequestsAreRefused(params string[] args)
    {
        var directory = Directory.CreateTempSubdirectory("loom-train-cli-").FullName;
        try
        {
            var corpus = Path.Combine(directory, "corpus.txt");
            File.WriteAllLines(corpus, ["a b c", "a b d"]);
            var arguments = args[0].StartsWith('/') ? args : [corpus, .. args];
            Assert.NotEqual(0, TrainTokenizerCommand.Create().Parse([.. arguments, "--out", Path.Combine(directory, "t.json")]).Invoke());
            Assert.False(File.Exists(Path.Combine(directory, "t.json")));
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}
