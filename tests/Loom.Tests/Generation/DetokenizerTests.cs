using System.Text;
using Loom.Generation;
using Microsoft.ML.Tokenizers;

namespace Loom.Tests.Generation;

public class DetokenizerTests
{
    internal static readonly Tokenizer Cl100k = TiktokenTokenizer.CreateForModel("gpt-4");

    internal const string Multibyte = "Loom weaves 你好世界 and 🧵🎉 emoji, naïve café, ẞ and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢!";

    [Fact]
    public void Tokenizer_detokenizer_never_splits_a_character()
    {
        int[] ids = [.. Cl100k.EncodeToIds(Multibyte)];
        // The test only means something if some tokens carry part of a character.
        Assert.Contains(ids, id => Cl100k.Decode([id])!.Contains('\uFFFD'));

        var detokenizer = new TokenizerDetokenizer(Cl100k);
        var pieces = ids.Select(detokenizer.Append).ToList();
        pieces.Add(detokenizer.Flush());

        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        Assert.Contains(pieces, p => p.Length == 0);
        Assert.Equal(Multibyte, string.Concat(pieces));
    }

    [Fact]
    public void Priming_with_the_prompt_emits_only_the_continuation()
    {
        int[] ids = [.. Cl100k.EncodeToIds(Multibyte)];
        for (int k = 1; k < ids.Length; k++)
        {
            string prefix = Cl100k.Decode(ids.Take(k))!;
            if (prefix.Contains('\uFFFD')) continue; // a prompt cut inside a character is not a real prompt
            var detokenizer = new TokenizerDetokenizer(Cl100k);
            detokenizer.Prime(ids.AsSpan(0, k));
            string continuation = string.Concat(ids.Skip(k).Select(detokenizer.Append)) + detokenizer.Flush();
            Assert.Equal(Multibyte[prefix.Length..], continuation);
        }
    }

    [Fact]
    public void Byte_detokenizer_holds_incomplete_characters()
    {
        // A byte-fallback vocabulary: token i is the single byte i (like <0xE2>).
        var detokenizer = new ByteDetokenizer(id => new[] { (byte)id });
        byte[] bytes = Encoding.UTF8.GetBytes("é🎉");
        var pieces = bytes.Select(b => detokenizer.Append(b)).ToArray();

        Assert.Equal(["", "é", "", "", "", "🎉"], pieces);
        Assert.Equal("", detokenizer.Flush());
    }

    [Fact]
    public void Flush_turns_a_dangling_partial_character_into_a_replacement_character()
    {
        var detokenizer = new ByteDetokenizer(id => new[] { (byte)id });
        Assert.Equal("", detokenizer.Append(0xE4));
        Assert.Equal("\uFFFD", detokenizer.Flush());

        var byTokenizer = new TokenizerDetokenizer(Cl100k);
        int[] ids = [.. Cl100k.EncodeToIds("🧵")];
        Assert.True(ids.Length > 1);
        Assert.Equal("", byTokenizer.Append(ids[0]));
        Assert.Contains('\uFFFD', byTokenizer.Flush());
    }
}
