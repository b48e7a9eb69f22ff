using System.Text;
using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>.model files trained here by spm_train, read by Loom and by sentencepiece 0.1.97: same ids, same decoding.</summary>
public sealed class SentencePieceParityTests(SentencePieceParityTests.Models models, ITestOutputHelper output) : IClassFixture<SentencePieceParityTests.Models>
{
    /// <summary>Four small models over 2,000 fortunes (about a second of training each), covering both algorithms,
    /// each normalization rule set and the normalizer and trainer switches.</summary>
    public sealed class Models : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("loom-spm-").FullName;
        public Dictionary<string, string> Paths { get; } = [];

        public Models()
        {
            var corpus = Path.Combine(Directory, "corpus.txt");
            File.WriteAllLines(corpus, Fortunes.Entries.Take(2000).SelectMany(e => e.Split('\n')).Where(l => l.Length > 0));
            Paths["unigram"] = SentencePieceReference.Train(Directory, "unigram", corpus, "--model_type=unigram", "--vocab_size=2000",
                "--byte_fallback=true", "--user_defined_symbols=<sep>,foo,\U0001F642", "--split_digits=true");
            Paths["bpe"] = SentencePieceReference.Train(Directory, "bpe", corpus, "--model_type=bpe", "--vocab_size=2000",
                "--byte_fallback=true", "--user_defined_symbols=<sep>,ing x", "--control_symbols=<ctl>");
            Paths["unigram-cf"] = SentencePieceReference.Train(Directory, "unigram-cf", corpus, "--model_type=unigram", "--vocab_size=1500",
                "--normalization_rule_name=nmt_nfkc_cf", "--remove_extra_whitespaces=false", "--character_coverage=0.98");
            Paths["bpe-identity"] = SentencePieceReference.Train(Directory, "bpe-identity", corpus, "--model_type=bpe", "--vocab_size=1500",
                "--normalization_rule_name=identity", "--add_dummy_prefix=false", "--character_coverage=0.98", "--pad_id=3");
        }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>Characters NFKC rewrites or SentencePiece treats specially, alone and in words.</summary>
    public static readonly string[] UnicodeCases =
    [
        "ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３ ﾊﾝｶｸ", "ligatures ﬁ ﬂ ﬀ ﬃ Ĳ ǆ", "circled ① ② ⑳ ㈱ ㎏ ㍻ ™ ℃ ½", "Hangul 한국어 \u1100\u1161\u11a8 가각 ㄱㅏ",
        "combining e\u0301 a\u0308 o\u0302\u0323 \u0363x", "emoji 😀 👍🏽 👨‍👩‍👧 🇫🇷 ❤️ 🙂🙂", "controls \u0001\u0002\u0007\u001b\u007f \u0085 \u200b\u200d\ufeff",
        "   runs   of    spaces   ", "\ttabs\tand\nnewlines\r\n", "\u00a0nbsp\u2003em\u3000ideographic ", "", " ", "\u3000",
        "<sep>foo<sep> <ctl> <s> </s> <unk> <pad> ing x", "digits 1234567890 ３.１４", "Ω ω ℌ 𝐀𝐁𝐂 𝔘𝔫𝔦", "ẞ ß ﬆ ǰ ΐ",
        "\ufffd replacement, private \ue000, astral 𠀋𪚲", "arabic ﻻ ﷺ ﷽", "mixed ｆｏｏ foo ＦＯＯ Foo", "..., —–", "x" + new string(' ', 50) + "y",
    ];

    /// <summary>All fortunes for the two main models, every fourth for the variants (the suite's time budget).</summary>
    private static IReadOnlyList<string> Texts(bool allFortunes) =>
        [.. Fortunes.Entries.Where((_, i) => allFortunes || i % 4 == 0), .. ManPageSample.Texts, .. BertWordPieceParityTests.HardCases, .. UnicodeCases];

    [Theory]
    [InlineData("unigram")]
    [InlineData("bpe")]
    [InlineData("unigram-cf")]
    [InlineData("bpe-identity")]
    public void EncodesAndDecodesAsSentencePiece(string name)
    {
        var path = models.Paths[name];
        var loom = SentencePieceTokenizer.FromFile(path);
        var texts = Texts(allFortunes: name is "unigram" or "bpe");
        var reference = SentencePieceReference.Encode(path, texts);
        int differingIds = 0, differingText = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            var ids = loom.EncodeToIds(texts[i]);
            if (!ids.SequenceEqual(reference[i].Ids))
            {
                if (differingIds++ < 3)
                    output.WriteLine($"ids differ for {Escape(texts[i])}\n loom {Pieces(loom, ids)}\n spm  {Pieces(loom, reference[i].Ids)}");
            }
            var decoded = loom.Decode(reference[i].Ids);
            if (decoded != reference[i].Decoded && differingText++ < 3)
                output.WriteLine($"decoding differs for {Escape(texts[i])}\n loom {Escape(decoded)}\n spm  {Escape(reference[i].Decoded)}");
        }
        output.WriteLine($"{name}: {texts.Count} texts, {differingIds} differ in ids, {differingText} in decoding");
        Assert.Equal(0, differingIds);
        Assert.Equal(0, differingText);
    }

    [Fact]
    public void EveryCodePointIsNormalizedAsSentencePieceDoes()
    {
        // Each code point of planes 0, 1 and 14 between letters, through the byte-fallback model: nmt_nfkc's rewrites,
        // deletions and the characters it leaves alone all show in the ids.
        var path = models.Paths["unigram"];
        var loom = SentencePieceTokenizer.FromFile(path);
        var chunks = new List<string>();
        var chunk = new StringBuilder();
        foreach (int cp in Enumerable.Range(1, 0x2FFFF).Concat(Enumerable.Range(0xE0000, 0x200)))
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            chunk.Append(" x").Append(char.ConvertFromUtf32(cp)).Append('x');
            if (chunk.Length < 4000) continue;
            chunks.Add(chunk.ToString());
            chunk.Clear();
        }
        chunks.Add(chunk.ToString());
        var reference = SentencePieceReference.Encode(path, chunks);
        var differing = new List<string>();
        for (int i = 0; i < chunks.Count; i++)
        {
            if (loom.EncodeToIds(chunks[i]).SequenceEqual(reference[i].Ids)) continue;
            differing.Add(chunks[i]);
            output.WriteLine($"chunk {i} differs: {Escape(chunks[i])}");
        }
        Assert.Empty(differing);
    }

    [Fact]
    public void ModelFilesAndFoldersResolveAndTheCliPrintsSentencePiecesIds()
    {
        var path = models.Paths["bpe"];
        var folder = Directory.CreateTempSubdirectory("loom-spm-folder").FullName;
        var original = Console.Out;
        try
        {
            File.Copy(path, Path.Combine(folder, "tokenizer.model"));
            var lines = Fortunes.Entries.Skip(3000).Take(200).SelectMany(e => e.Split('\n')).Where(l => l.Length > 0).ToArray();
            var reference = SentencePieceReference.Encode(path, lines);
            var fromFolder = TokenizerResolver.Resolve(folder);
            Assert.IsType<SentencePieceTokenizer>(TokenizerResolver.Resolve(path));
            Assert.All(lines.Zip(reference), pair => Assert.Equal(pair.Second.Ids, fromFolder.EncodeToIds(pair.First)));

            var linesFile = Path.Combine(folder, "lines.txt");
            File.WriteAllLines(linesFile, lines);
            var ids = new StringWriter();
            Console.SetOut(ids);
            Assert.Equal(0, Loom.Cli.Commands.TokenizeCommand.Create().Parse(["--tokenizer", path, "--file", linesFile, "--ids"]).Invoke());
            Assert.Equal(reference.Select(r => System.Text.Json.JsonSerializer.Serialize(r.Ids)), ids.ToString().Split(Environment.NewLine)[..^1]);
            var idsFile = Path.Combine(folder, "ids.jsonl");
            File.WriteAllText(idsFile, ids.ToString());
            var text = new StringWriter();
            Console.SetOut(text);
            Assert.Equal(0, Loom.Cli.Commands.DetokenizeCommand.Create().Parse(["--tokenizer", folder, "--file", idsFile]).Invoke());
            Assert.Equal(reference.Select(r => r.Decoded), text.ToString().Split(Environment.NewLine)[..^1]);
        }
        finally
        {
            Console.SetOut(original);
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void OptionsAddBosAndEosAndOffsetsPointIntoTheInput()
    {
        var path = models.Paths["unigram"];
        var plain = SentencePieceTokenizer.FromFile(path);
        var wrapped = SentencePieceTokenizer.FromFile(path, new SentencePieceOptions { AddBeginningOfSentence = true, AddEndOfSentence = true });
        var texts = UnicodeCases.Concat(BertWordPieceParityTests.HardCases).Concat(Fortunes.Entries.Take(300)).ToList();
        foreach (var text in texts)
        {
            var ids = plain.EncodeToIds(text);
            Assert.Equal([1, .. ids, 2], wrapped.EncodeToIds(text));
            Assert.Equal(plain.Decode(ids), wrapped.Decode(wrapped.EncodeToIds(text))); // <s> and </s> decode to nothing
            // Each token's span lies in the input (GetOffsetAndLength checks), and spans start in order.
            int previous = 0;
            foreach (var token in plain.EncodeToTokens(text, out _))
            {
                var (start, _) = token.Offset.GetOffsetAndLength(text.Length);
                Assert.True(start >= previous, $"span {token.Offset} goes back in '{Escape(text)}'");
                previous = start;
            }
        }
        // A view of the tokens shows the input each covers: rewritten characters (ﬁ → fi, ① → 1) appear as written.
        const string written = "ﬁne ① ｗｉｄｅ";
        var view = TokenView.Of(plain, written);
        Assert.Equal(SentencePieceReference.Encode(path, [written])[0].Ids, view.Select(v => v.Id));
        Assert.Equal(written, string.Concat(view.Select(v => v.Text)));
    }

    private static string Pieces(SentencePieceTokenizer tokenizer, IEnumerable<int> ids) =>
        Escape(string.Join("|", ids.Select(id => tokenizer.Model.Pieces[id].Piece)));

    private static string Escape(string text) =>
        string.Concat(text.Take(200).Select(c => c < ' ' || c is >= '\u007f' and <= '\u00a0' or '\u200b' or '\u200d' or '\ufeff' ? $"\\u{(int)c:x4}" : c.ToString()));
}
