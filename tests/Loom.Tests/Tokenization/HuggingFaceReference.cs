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
