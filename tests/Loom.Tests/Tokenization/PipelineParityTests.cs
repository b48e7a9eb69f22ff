using System.Text.Json.Nodes;
using Loom.Formats;
using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>
/// tokenizer.json files whose stage combinations no dedicated tokenizer covers, run by Loom's generic pipeline and by
/// HF tokenizers (Rust, via Tokenizers.DotNet): WordPiece on the MiniLM vocabulary and WordLevel on a vocabulary of
/// fortune words, behind each newly supported stage and behind random combinations of them.
/// </summary>
public sealed class PipelineParityTests(ITestOutputHelper output)
{
    private static JsonObject Stage(string type, params (string Key, JsonNode? Value)[] fields)
    {
        var o = new JsonObject { ["type"] = type };
        foreach (var (k, v) in fields) o[k] = v;
        return o;
    }

    private static JsonObject StringPattern(string s) => new() { ["String"] = s };
    private static JsonObject RegexPattern(string s) => new() { ["Regex"] = s };

    private static readonly Lazy<List<string>> MiniLmTokens = new(() =>
    {
        var tokens = System.IO.File.ReadAllLines(DefaultModels.Resolve("minilm").VocabPath).Select(t => t.TrimEnd('\r')).ToList();
        while (tokens[^1].Length == 0) tokens.RemoveAt(tokens.Count - 1);
        return tokens;
    });

    /// <summary>The 6000 commonest whitespace/punctuation-separated words of the fortunes, as written and lower-cased, plus specials.</summary>
    private static readonly Lazy<List<string>> FortuneWords = new(() =>
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in Fortunes.Entries)
            foreach (var word in System.Text.RegularExpressions.Regex.Split(entry, @"[\s\p{P}]+"))
                if (word.Length > 0)
                {
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                    counts[word.ToLowerInvariant()] = counts.GetValueOrDefault(word.ToLowerInvariant()) + 1;
                }
        var punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".Select(c => c.ToString());
        return new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "<s>", "</s>" }.Concat(punctuation)
            .Concat(counts.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key).Take(6000)).Distinct().ToList();
    });

    private static JsonObject File(string modelType, JsonNode? normalizer, JsonNode? pre, JsonNode? post)
    {
        var tokens = modelType == "WordPiece" ? MiniLmTokens.Value : FortuneWords.Value;
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Count; i++) vocab[tokens[i]] = i;
        var added = new JsonArray();
        foreach (var t in new[] { "[CLS]", "[SEP]", "[UNK]" })
            added.Add(new JsonObject { ["id"] = tokens.IndexOf(t), ["content"] = t, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true });
        var model = modelType == "WordPiece"
            ? new JsonObject { ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##", ["max_input_chars_per_word"] = 100, ["vocab"] = vocab }
            : new JsonObject { ["type"] = "WordLevel", ["unk_token"] = "[UNK]", ["vocab"] = vocab };
        return new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null, ["added_tokens"] = added,
            ["normalizer"] = normalizer, ["pre_tokenizer"] = pre, ["post_processor"] = post,
            ["decoder"] = modelType == "WordPiece" ? Stage("WordPiece", ("prefix", "##"), ("cleanup", true)) : null,
            ["model"] = model,
        };
    }

    private static JsonNode BertProcessing() => Stage("BertProcessing", ("sep", new JsonArray("[SEP]", 102)), ("cls", new JsonArray("[CLS]", 101)));

    private static JsonNode Template(string model)
    {
        var tokens = model == "WordPiece" ? MiniLmTokens.Value : FortuneWords.Value;
        JsonNode Special(string t) => new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = t, ["type_id"] = 0 } };
        return Stage("TemplateProcessing",
            ("single", new JsonArray(Special("[CLS]"), new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }, Special("[SEP]"), Special("[SEP]"))),
            ("pair", new JsonArray(new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }, new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } })),
            ("special_tokens", new JsonObject
            {
                ["[CLS]"] = new JsonObject { ["id"] = "[CLS]", ["ids"] = new JsonArray(tokens.IndexOf("[CLS]")), ["tokens"] = new JsonArray("[CLS]") },
                ["[SEP]"] = new JsonObject { ["id"] = "[SEP]", ["ids"] = new JsonArray(tokens.IndexOf("[SEP]")), ["tokens"] = new JsonArray("[SEP]") },
            }));
    }

    /// <summary>Each stage on its own (others: WhitespaceSplit or none), as (name, model, normalizer, pre-tokenizer, post-processor).</summary>
    public static TheoryData<string> Stages() => new(SingleStage.Keys);

    private static readonly Dictionary<string, Func<JsonObject>> SingleStage = new()
    {
        ["Lowercase"] = () => File("WordLevel", Stage("Lowercase"), Stage("Whitespace"), null),
        ["Strip"] = () => File("WordPiece", Stage("Strip", ("strip_left", true), ("strip_right", true)), Stage("BertPreTokenizer"), Stage("RobertaProcessing",
            ("sep", new JsonArray("[SEP]", 102)), ("cls", new JsonArray("[CLS]", 101)), ("trim_offsets", true), ("add_prefix_space", false))),
        ["NFD+StripAccents+Lowercase"] = () => File("WordPiece", Stage("Sequence", ("normalizers", new JsonArray(Stage("NFD"), Stage("StripAccents"), Stage("Lowercase")))), Stage("BertPreTokenizer"), BertProcessing()),
        ["NFKD"] = () => File("WordPiece", Stage("NFKD"), Stage("Whitespace"), null),
        ["NFC"] = () => File("WordLevel", Stage("NFC"), Stage("WhitespaceSplit"), null),
        ["NFKC"] = () => File("WordPiece", Stage("Sequence", ("normalizers", new JsonArray(Stage("NFKC"), Stage("Lowercase")))), Stage("Whitespace"), null),
        ["ALBERT-style Replace"] = () => File("WordPiece", Stage("Sequence", ("normalizers", new JsonArray(
            Stage("Replace", ("pattern", StringPattern("``")), ("content", "\"")), Stage("Replace", ("pattern", StringPattern("''")), ("content", "\"")),
            Stage("NFKD"), Stage("StripAccents"), Stage("Lowercase"), Stage("Replace", ("pattern", RegexPattern(" {2,}")), ("content", " "))))),
            Stage("WhitespaceSplit"), null),
        ["Prepend"] = () => File("WordLevel", Stage("Prepend", ("prepend", "the ")), Stage("Whitespace"), null),
        ["Whitespace"] = () => File("WordPiece", null, Stage("Whitespace"), BertProcessing()),
        ["WhitespaceSplit"] = () => File("WordPiece", Stage("Lowercase"), Stage("WhitespaceSplit"), Template("WordPiece")),
        ["Punctuation"] = () => File("WordLevel", null, Stage("Sequence", ("pretokenizers", new JsonArray(Stage("WhitespaceSplit"), Stage("Punctuation", ("behavior", "Isolated"))))), null),
        ["Digits"] = () => File("WordPiece", Stage("Lowercase"), Stage("Sequence", ("pretokenizers", new JsonArray(Stage("Whitespace"), Stage("Digits", ("individual_digits", true))))), null),
        ["Split"] = () => File("WordLevel", Stage("Lowercase"), Stage("Split", ("pattern", RegexPattern(@"\s+")), ("behavior", "Removed"), ("invert", false)), BertProcessing()),
        ["TemplateProcessing"] = () => File("WordLevel", null, Stage("BertPreTokenizer"), Template("WordLevel")),
    };

    private static string[] Texts(int fortunes) =>
        [.. Fortunes.Entries.Take(fortunes), .. BertWordPieceParityTests.HardCases, "[CLS] x [SEP] y [UNK]z", "``quoted'' text"];

    private int Compare(JsonObject json, IEnumerable<string> texts, bool assertDecode = false)
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-pipeline-{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, json.ToJsonString());
        try
        {
            var loom = TokenizerResolver.Resolve(path);
            Assert.IsType<PipelineTokenizer>(loom);
            var hf = HuggingFaceReference.Load(json);
            int differing = 0;
            foreach (var text in texts)
            {
                var expected = hf.Ids(text);
                var actual = loom.EncodeToIds(text);
                if (!actual.SequenceEqual(expected))
                {
                    if (differing++ < 3) output.WriteLine($"differs on {text[..Math.Min(60, text.Length)]}: loom [{string.Join(",", actual.Take(12))}] hf [{string.Join(",", expected.Take(12))}]");
                }
                else if (assertDecode) Assert.Equal(hf.Decode(expected.Select(i => (uint)i).ToArray()), loom.Decode(expected));
            }
            return differing;
        }
        finally { System.IO.File.Delete(path); }
    }

    [Theory]
    [MemberData(nameof(Stages))]
    public void EachStageEncodesAsHuggingFace(string stage)
    {
        var texts = Texts(4000);
        int differing = Compare(SingleStage[stage](), texts, assertDecode: true);
        output.WriteLine($"{stage}: {differing} of {texts.Length} differ");
        Assert.Equal(0, differing);
    }

    private const int Combinations = 60;

    [Fact]
    public void RandomStageCombinationsEncodeAsHuggingFace()
    {
        var random = new Random(20261129);
        Func<JsonNode>[] normalizers =
        [
            () => Stage("Lowercase"), () => Stage("Strip", ("strip_left", random.Next(2) == 0), ("strip_right", true)), () => Stage("NFD"), () => Stage("NFKD"),
            () => Stage("NFC"), () => Stage("NFKC"), () => Stage("StripAccents"), () => Stage("Replace", ("pattern", StringPattern("e")), ("content", "E")),
            () => Stage("Replace", ("pattern", RegexPattern("[0-9]+")), ("content", "0")), () => Stage("Prepend", ("prepend", "_")),
        ];
        string[] behaviors = ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"];
        Func<JsonNode>[] preTokenizers =
        [
            () => Stage("Whitespace"), () => Stage("WhitespaceSplit"), () => Stage("BertPreTokenizer"),
            () => Stage("Punctuation", ("behavior", behaviors[random.Next(behaviors.Length)])), () => Stage("Digits", ("individual_digits", random.Next(2) == 0)),
            () => Stage("Split", ("pattern", RegexPattern(random.Next(2) == 0 ? "[aeiou]+" : @"\s")), ("behavior", behaviors[random.Next(behaviors.Length)]), ("invert", random.Next(2) == 0)),
            () => Stage("Split", ("pattern", StringPattern("th")), ("behavior", behaviors[random.Next(behaviors.Length)]), ("invert", false)),
            () => Metaspace(new[] { "always", "first", "never" }[random.Next(3)], random.Next(2) == 0),
        ];
        int total = 0, failed = 0;
        for (int combination = 0; combination < Combinations; combination++)
        {
            var model = random.Next(2) == 0 ? "WordPiece" : "WordLevel";
            var normalizer = Stage("Sequence", ("normalizers", new JsonArray(Enumerable.Range(0, random.Next(1, 4)).Select(_ => normalizers[random.Next(normalizers.Length)]()).ToArray())));
            var pre = Stage("Sequence", ("pretokenizers", new JsonArray(Enumerable.Range(0, random.Next(1, 4)).Select(_ => preTokenizers[random.Next(preTokenizers.Length)]()).ToArray())));
            var post = random.Next(3) switch { 0 => null, 1 => BertProcessing(), _ => Template(model) };
            var json = File(model, normalizer, pre, post);
            var texts = Fortunes.Entries.Skip(combination * 200).Take(200).Concat(BertWordPieceParityTests.HardCases).ToList();
            int differing = Compare(json, texts);
            total += texts.Count;
            if (differing > 0)
            {
                failed++;
                output.WriteLine($"{model} {normalizer.ToJsonString()} {pre.ToJsonString()}: {differing} differ");
            }
        }
        output.WriteLine($"{total} encodings over {Combinations} combinations; {failed} combinations differ");
        Assert.Equal(0, failed);
    }

    [Fact]
    public void OffsetsPointIntoTheCallersText()
    {
        var json = File("WordPiece", Stage("Sequence", ("normalizers", new JsonArray(Stage("NFKD"), Stage("StripAccents"), Stage("Lowercase")))), Stage("Whitespace"), BertProcessing());
        var path = Path.Combine(Path.GetTempPath(), $"loom-pipeline-{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, json.ToJsonString());
        try
        {
            var loom = TokenizerResolver.Resolve(path);
            const string text = "\uFF23\uFF41\uFF46e\u0301 NAI\u0308VE, [SEP]ok";
            var tokens = loom.EncodeToTokens(text, out _);
            Assert.Equal(["[CLS]", "cafe", "naive", ",", "[SEP]", "ok", "[SEP]"], tokens.Select(t => t.Value));
            // "Ｃａｆe" is chars 0..4 (the accent after it, a separate mark, is removed, so in no token's span, as in HF),
            // "NAÏVE" 6..12, "," 12..13, the added "[SEP]" 14..19, "ok" 19..21; the framing tokens have empty spans.
            Assert.Equal([(0, 0), (0, 4), (6, 12), (12, 13), (14, 19), (19, 21), (21, 21)],
                tokens.Select(t => (t.Offset.Start.Value, t.Offset.End.Value)));
        }
        finally { System.IO.File.Delete(path); }
    }

    [Theory]
    [InlineData("normalizer", "{\"type\": \"Unheard\"}", "normalizer 'Unheard'")]
    [InlineData("normalizer", "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"(\"}, \"content\": \"x\"}", "Replace normalizer regex")]
    [InlineData("normalizer", "{\"type\": \"Sequence\"}", "Sequence normalizer")]
    [InlineData("pre_tokenizer", "{\"type\": \"Punctuation\", \"behavior\": \"Sideways\"}", "Punctuation pre-tokenizer behavior")]
    [InlineData("pre_tokenizer", "{\"type\": \"Split\", \"pattern\": {\"String\": \"x\"}}", "Split pre-tokenizer has no \"behavior\"")]
    [InlineData("pre_tokenizer", "{\"type\": \"UnicodeScripts\"}", "pre-tokenizer 'UnicodeScripts'")]
    [InlineData("pre_tokenizer", "{\"type\": \"Metaspace\", \"prepend_scheme\": \"sometimes\"}", "prepend_scheme 'sometimes'")]
    [InlineData("pre_tokenizer", "{\"type\": \"Metaspace\", \"replacement\": \"ab\"}", "Metaspace pre-tokenizer replacement")]
    [InlineData("normalizer", "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"%%%\"}", "precompiled_charsmap is not base64")]
    [InlineData("post_processor", "{\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\"], \"cls\": [\"[CLS]\", 101]}", "BertProcessing \"sep\"")]
    [InlineData("post_processor", "{\"type\": \"RobertaProcessing\", \"sep\": [\"[SEP]\", 99999999], \"cls\": [\"[CLS]\", 101]}", "out of range")]
    [InlineData("post_processor", "{\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<nope>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}]}", "'<nope>' has no id")]
    [InlineData("post_processor", "{\"type\": \"ByteLevel\"}", "post-processor 'ByteLevel'")]
    [InlineData("decoder", "{\"type\": \"CTC\"}", "decoder 'CTC'")]
    public void StagesWithBadParametersAreRefusedByName(string slot, string stage, string problem)
    {
        var json = File("WordLevel", null, Stage("Whitespace"), null);
        json[slot] = JsonNode.Parse(stage);
        var path = Path.Combine(Path.GetTempPath(), $"loom-bad-{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, json.ToJsonString());
        try { Assert.Contains(problem, Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message); }
        finally { System.IO.File.Delete(path); }
    }

    [Fact]
    public void AWordLevelModelWithoutItsUnknownTokenIsRefused()
    {
        var json = File("WordLevel", null, Stage("Whitespace"), null);
        json["model"]!["unk_token"] = "<missing>";
        var path = Path.Combine(Path.GetTempPath(), $"loom-bad-{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, json.ToJsonString());
        try { Assert.Contains("unk_token '<missing>'", Assert.Throws<ModelFormatException>(() => TokenizerResolver.Resolve(path)).Message); }
        finally { System.IO.File.Delete(path); }
    }

    /// <summary>A Unigram file over pieces learnt on fortunes (as <see cref="UnigramParityTests"/>) with the given stages.</summary>
    internal static JsonObject UnigramFile(JsonNode? normalizer, JsonNode pre, string prependScheme)
    {
        var pieces = SentencePieceBpeParityTests.Learnt.Value.Pieces;
        var vocab = new JsonArray(new JsonArray("<unk>", 0.0), new JsonArray("<s>", 0.0), new JsonArray("</s>", 0.0));
        for (int i = 0; i < pieces.Count; i++) vocab.Add(new JsonArray(pieces[i], Math.Round(-Math.Log(i + 2) * 1024) / 1024));
        var added = new JsonArray();
        foreach (var (id, t) in new[] { (0, "<unk>"), (1, "<s>"), (2, "</s>") })
            added.Add(new JsonObject { ["id"] = id, ["content"] = t, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true });
        JsonNode Special(string t) => new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = t, ["type_id"] = 0 } };
        return new JsonObject
        {
            ["version"] = "1.0", ["added_tokens"] = added, ["normalizer"] = normalizer, ["pre_tokenizer"] = pre,
            ["post_processor"] = Stage("TemplateProcessing",
                ("single", new JsonArray(Special("<s>"), new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }, Special("</s>"))),
                ("pair", new JsonArray()),
                ("special_tokens", new JsonObject
                {
                    ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(1), ["tokens"] = new JsonArray("<s>") },
                    ["</s>"] = new JsonObject { ["id"] = "</s>", ["ids"] = new JsonArray(2), ["tokens"] = new JsonArray("</s>") },
                })),
            ["decoder"] = Stage("Metaspace", ("replacement", "\u2581"), ("prepend_scheme", prependScheme), ("split", true)),
            ["model"] = new JsonObject { ["type"] = "Unigram", ["unk_id"] = 0, ["byte_fallback"] = false, ["vocab"] = vocab },
        };
    }

    internal static JsonNode AlbertNormalizer(params JsonNode[] more) => Stage("Sequence", ("normalizers", new JsonArray(
        [Stage("Replace", ("pattern", StringPattern("``")), ("content", "\"")), Stage("Replace", ("pattern", StringPattern("''")), ("content", "\"")),
         Stage("NFKD"), Stage("StripAccents"), Stage("Lowercase"), .. more])));

    private static JsonNode Metaspace(string scheme, bool split) => Stage("Metaspace", ("replacement", "\u2581"), ("prepend_scheme", scheme), ("split", split));

    [Theory]
    [InlineData("albert")]
    [InlineData("first-nosplit")]
    [InlineData("never")]
    public void UnigramWithOtherStagesEncodesAsHuggingFace(string variant)
    {
        var json = variant switch
        {
            "albert" => UnigramFile(AlbertNormalizer(), Stage("Sequence", ("pretokenizers", new JsonArray(Stage("WhitespaceSplit"), Metaspace("always", true)))), "always"),
            "first-nosplit" => UnigramFile(Stage("NFC"), Stage("Sequence", ("pretokenizers", new JsonArray(Stage("Punctuation"), Metaspace("first", false)))), "first"),
            _ => UnigramFile(null, Metaspace("never", true), "never"),
        };
        var texts = Texts(3000);
        int differing = Compare(json, texts, assertDecode: true);
        output.WriteLine($"Unigram {variant}: {differing} of {texts.Length} differ");
        Assert.Equal(0, differing);
    }
}
