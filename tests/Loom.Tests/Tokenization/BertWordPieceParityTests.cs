using Loom.Formats;
using System.Text;
using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>Loom's BERT WordPiece against Hugging Face tokenizers (Rust, via Tokenizers.DotNet) on the MiniLM vocabulary.</summary>
public sealed class BertWordPieceParityTests(ITestOutputHelper output)
{
    internal static readonly Lazy<(BertWordPieceTokenizer Loom, Tokenizers.DotNet.Tokenizer Hf)> Uncased = new(() =>
    {
        var vocab = DefaultModels.Resolve("minilm").VocabPath;
        return (BertWordPieceTokenizer.FromVocabFile(vocab), HuggingFaceReference.Load(HuggingFaceReference.BertTokenizerJson(vocab)));
    });

    public static readonly string[] HardCases =
    [
        "", " ", "\t\n\r ", "Hello, world!", "naïve café résumé Ångström ÉCOLE", "İstanbul ΣΊΣΥΦΟΣ straße ǅ ﬁne",
        "日本語のテキスト 中文字符 한국어 텍스트 𠀋𪚲", "emoji 😀 👍🏽 👨‍👩‍👧 🇫🇷 ❤️ ☃ 🥲 🫠", "e\u0301 a\u0308 \u0363x",
        "a$b+c<d=e>f^g`h|i~j", "° © £ € ¥ § ¶ • … — – « » „ “ ” ‘ ’", "snake_case_name __init__ a_b",
        "word\tword\nword\r\nword\u00a0word\u2003word\u3000word", "nul\0char bell\u0007 esc\u001b del\u007f soft\u00adhyphen",
        "zero\u200bwidth zwj\u200d bom\ufeff replacement\ufffd private\ue000 pair\ud83d\ude00",
        new string('a', 99), new string('a', 100), new string('a', 101), "supercalifragilisticexpialidocious" + new string('x', 80),
        string.Concat(Enumerable.Repeat("😀", 60)), "[CLS] text [SEP] [MASK] [cls] [UNK]x [PAD]",
        "mixed...punct!!!?? (a) [b] {c} \"d\" 'e' --f-- @g #h %i &j *k", "ﾊﾝｶｸ ＡＢＣ １２３ ①②③ ㈱ ㎏",
        "עברית العربية فارسی हिन्दी ไทย", "\u0085next\u2028line\u2029para\u000bvt\u000cff", "don't won't it's I'm we've",
        "U.S.A. e.g. 3.14 1,000,000 10:30 50% $5", "ÀÁÂÃÄÅàáâãäå ĀāĂăĄą Ḁḁ ẞ", "\u1100\u1161\u11a8 가각",
        // Whitespace runs, very long words.
        "a" + new string(' ', 40) + "b", "a\t\t\t\n\n\n   \r\n\tb", "  leading and trailing  ", "\n\n\npage\n\n\n",
        "word" + string.Concat(Enumerable.Repeat("abcdefghij", 500)), string.Concat(Enumerable.Repeat("👨‍👩‍👧", 30)),
    ];

    /// <summary>Lone surrogates: C# strings can hold them; UTF-8 readers (HF through Tokenizers.DotNet) see U+FFFD instead.</summary>
    public static readonly string[] LoneSurrogates = ["lone \ud800 high", "lone \udc00 low", "end\ud83d", "\ude00start", "x\ud800\ud800y"];

    [Fact]
    public void AllFortunesEncodeToTheSameIdsAsHuggingFace()
    {
        var (loom, hf) = Uncased.Value;
        var entries = Fortunes.Entries;
        var differing = entries.Where(e => !loom.EncodeToIds(e).SequenceEqual(hf.Ids(e))).ToList();
        output.WriteLine($"{entries.Count} fortunes, {differing.Count} differ");
        Assert.True(differing.Count == 0, $"{differing.Count} of {entries.Count} differ; first: {differing.FirstOrDefault()}");
    }

    [Fact]
    public void HardCasesEncodeToTheSameIdsAsHuggingFace()
    {
        var (loom, hf) = Uncased.Value;
        foreach (var text in HardCases)
            Assert.Equal(hf.Ids(text), loom.EncodeToIds(text));
    }

    [Fact]
    public void CasedSettingsEncodeToTheSameIdsAsHuggingFace()
    {
        var vocab = DefaultModels.Resolve("minilm").VocabPath;
        var hf = HuggingFaceReference.Load(HuggingFaceReference.BertTokenizerJson(vocab, lowerCase: false, stripAccents: false));
        var loom = BertWordPieceTokenizer.FromVocabFile(vocab, new BertTokenizerOptions { LowerCase = false, StripAccents = false });
        foreach (var text in HardCases.Concat(Fortunes.Entries.Take(2000)))
            Assert.Equal(hf.Ids(text), loom.EncodeToIds(text));
    }

    [Fact]
    public void EveryCodePointIsClassifiedAsHuggingFaceDoes()
    {
        // Each code point alone, between letters, and with a letter before: classes (control, whitespace,
        // punctuation, CJK, accent, case) all show in the ids.
        var (loom, hf) = Uncased.Value;
        var differing = new List<string>();
        var chunk = new StringBuilder();
        for (int cp = 1; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            chunk.Append(" x").Append(char.ConvertFromUtf32(cp)).Append('x');
            if (chunk.Length < 4000 && cp != 0x10FFFF) continue;
            var text = chunk.ToString();
            chunk.Clear();
            if (loom.EncodeToIds(text).SequenceEqual(hf.Ids(text))) continue;
            foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (!loom.EncodeToIds(word).SequenceEqual(hf.Ids(word)))
                    differing.Add($"U+{char.ConvertToUtf32(word, 1):X4}");
        }
        output.WriteLine($"{differing.Count} code points differ: {string.Join(' ', differing.Take(200))}");
        Assert.Empty(differing);
    }

    [Fact]
    public void LoneSurrogatesReadAsReplacementCharacters()
    {
        // HF works on UTF-8, where a lone surrogate can only arrive as U+FFFD (Tokenizers.DotNet refuses such strings).
        var (loom, hf) = Uncased.Value;
        foreach (var text in new[] { "lone\ud800 x", "low\udc00y", "\ud83d", "a\ude00\ud83d b" })
            Assert.Equal(hf.Ids(text.Replace('\ud800', '\ufffd').Replace('\udc00', '\ufffd').Replace('\ud83d', '\ufffd').Replace('\ude00', '\ufffd')), loom.EncodeToIds(text));
    }

    [Fact]
    public void DecodeMatchesHuggingFace()
    {
        var (loom, hf) = Uncased.Value;
        foreach (var text in HardCases.Concat(Fortunes.Entries.Take(3000)))
        {
            var ids = hf.Ids(text);
            Assert.Equal(hf.Decode(ids.Select(i => (uint)i).ToArray()), loom.Decode(ids));
        }
    }
}
