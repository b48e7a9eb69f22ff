using Loom.Cli.Commands;
using Loom.Formats;
using Loom.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Loom.Tests.Tokenization;

public sealed class TokenizerResolverTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("r50k")]
    [InlineData("cl100k")]
    [InlineData("o200k")]
    public void ByteLevelTokenizersCoverTheTextAndRoundTrip(string name)
    {
        var tokenizer = TokenizerResolver.Resolve(name);
        foreach (var text in Fortunes.Entries.Take(300).Concat(BertWordPieceParityTests.HardCases))
        {
            var views = TokenView.Of(tokenizer, text);
            Assert.Equal(text, string.Concat(views.Select(v => v.Text)));
            Assert.Equal(text, tokenizer.Decode(views.Select(v => v.Id)));
        }
    }

    [Fact]
    public void NamesResolveToTheirEncodings()
    {
        // Known ids from OpenAI's tiktoken: "hello world" is [31373, 995] in gpt2/r50k and [15339, 1917] in cl100k.
        Assert.Equal([31373, 995], TokenizerResolver.Resolve("gpt2").EncodeToIds("hello world"));
        Assert.Equal([31373, 995], TokenizerResolver.Resolve("r50k").EncodeToIds("hello world"));
        Assert.Equal([15339, 1917], TokenizerResolver.Resolve("cl100k").EncodeToIds("hello world"));
        Assert.IsType<BertWordPieceTokenizer>(TokenizerResolver.Resolve("minilm"));
        Assert.IsType<BertWordPieceTokenizer>(TokenizerResolver.Resolve("arctic-xs"));
    }

    [Fact]
    public void WordPieceTokenizerJsonAndFolderMatchVocabTxt()
    {
        var vocab = DefaultModels.Resolve("minilm").VocabPath;
        var dir = Directory.CreateTempSubdirectory("loom-tok").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), HuggingFaceReference.BertTokenizerJson(vocab).ToJsonString());
            var fromJson = TokenizerResolver.Resolve(dir);
            var fromVocab = TokenizerResolver.Resolve(vocab);
            foreach (var text in Fortunes.Entries.Take(500))
                Assert.Equal(fromVocab.EncodeToIds(text), fromJson.EncodeToIds(text));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0, ", "not valid JSON")]
    [InlineData("{\"model\": {\"type\": \"Mystery\"}}", "Mystery")]
    [InlineData("[1, 2]", "no \"model\"")]
    [InlineData("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0, \"a\": 0}}}", "both")]
    [InlineData("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0, \"a\": 7}}}", "out of range")]
    [InlineData("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": -1}}}", "no valid id")]
    public void BadTokenizerJsonIsRefusedByName(string json, string problem)
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try { Assert.Contains(problem, Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void UnknownNamesAreRefused() =>
        Assert.Throws<ArgumentException>(() => TokenizerResolver.Resolve("no-such-tokenizer"));

    [Fact]
    public void CliIdsRoundTripThroughDetokenize()
    {
        var dir = Directory.CreateTempSubdirectory("loom-cli").FullName;
        var original = Console.Out;
        try
        {
            var lines = Fortunes.Entries.Take(200).SelectMany(e => e.Split('\n')).Where(l => l.Length > 0).ToArray();
            File.WriteAllLines(Path.Combine(dir, "lines.txt"), lines);
            var ids = new StringWriter();
            Console.SetOut(ids);
            Assert.Equal(0, TokenizeCommand.Create().Parse(["--tokenizer", "cl100k", "--file", Path.Combine(dir, "lines.txt"), "--ids"]).Invoke());
            File.WriteAllText(Path.Combine(dir, "ids.jsonl"), ids.ToString());
            var text = new StringWriter();
            Console.SetOut(text);
            Assert.Equal(0, DetokenizeCommand.Create().Parse(["--tokenizer", "cl100k", "--file", Path.Combine(dir, "ids.jsonl")]).Invoke());
            Assert.Equal(lines, text.ToString().Split(Environment.NewLine)[..^1]);
        }
        finally
        {
            Console.SetOut(original);
            Directory.Delete(dir, true);
        }
    }
}
