using Loom.Tokenization;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>Loom's tokenizers against their references on a sample of the man pages (every 64th page, rendered) and the Unicode hard cases.</summary>
public sealed class ManPageParityTests(ITestOutputHelper output)
{
    private static IEnumerable<string> Texts => ManPageSample.Texts.Concat(BertWordPieceParityTests.HardCases);

    [Fact]
    public void Cl100kEncodesAsMicrosoftMLTokenizers()
    {
        var loom = TokenizerResolver.Resolve("cl100k");
        var tiktoken = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        var texts = Texts.ToList();
        var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(tiktoken.EncodeToIds(t))).ToList();
        output.WriteLine($"{texts.Count} texts, {texts.Sum(t => t.Length):N0} characters; {differing.Count} differ");
        Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
        foreach (var text in texts) Assert.Equal(text, loom.Decode(loom.EncodeToIds(text)));
    }

    [Fact]
    public void MiniLmWordPieceEncodesAsHuggingFace()
    {
        var (loom, hf) = BertWordPieceParityTests.Uncased.Value;
        var texts = Texts.ToList();
        var differing = texts.Where(t => !loom.EncodeToIds(t).SequenceEqual(hf.Ids(t))).ToList();
        output.WriteLine($"{texts.Count} texts; {differing.Count} differ");
        Assert.True(differing.Count == 0, $"first: {differing.FirstOrDefault()}");
    }
}
