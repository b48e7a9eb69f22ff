using System.Text.Json;
using System.Text.RegularExpressions;
using Loom.Formats;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Builds a <see cref="PipelineTokenizer"/> from a tokenizer.json's stages, each by its "type"; a stage it does not
/// know, or one with bad parameters, is refused by name.
/// </summary>
internal static class PipelineJson
{
    /// <param name="unigram">The Viterbi over the vocabulary, for a Unigram model.</param>
    public static PipelineTokenizer Build(string path, JsonElement root, JsonElement model, string[] tokens, UnigramTokenizer? unigram)
    {
        var vocabulary = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) vocabulary[tokens[i]] = i;
        var normalizer = Obj(root, "normalizer") is { } n ? Normalizer(path, n) : null;
        var pre = Obj(root, "pre_tokenizer") is { } p ? PreTokenizer(path, p) : null;
        var (added, special) = AddedTokens(path, root, vocabulary, tokens.Length, normalizer is not null);
        var idToToken = tokens.ToList();
        foreach (var (content, id) in added.OrderBy(e => e.Value))
        {
            if (id == idToToken.Count) idToToken.Add(content);
            else if (id > idToToken.Count) throw new ModelFormatException(path, $"added token '{content}' has id {id}, leaving a gap after the vocabulary of {idToToken.Count}");
        }
        var allTokens = idToToken.ToArray();
        IWordModel wordModel = Str(model, "type") switch
        {
            "WordLevel" => new WordLevelModel(allTokens, vocabulary, Unknown(path, model, vocabulary, "WordLevel")),
            "WordPiece" => new WordPieceModel(allTokens, vocabulary, Unknown(path, model, vocabulary, "WordPiece"),
                Str(model, "continuing_subword_prefix") ?? "##",
                model.TryGetProperty("max_input_chars_per_word", out var m) ? (m.TryGetInt32(out int max) && max > 0 ? max
                    : throw new ModelFormatException(path, "WordPiece max_input_chars_per_word is not a positive integer")) : 100),
            "Unigram" when unigram is not null => new UnigramModel(allTokens, unigram),
            var type => throw new ModelFormatException(path, $"model '{type}' is not supported on the generic pipeline (WordLevel, WordPiece, Unigram are)"),
        };
        var frame = Obj(root, "post_processor") is { } post ? PostProcessor(path, post, vocabulary, added) : SpecialTokenFrame.None;
        foreach (var (id, token) in frame.Prefix.Concat(frame.Suffix))
            if (id >= allTokens.Length) throw new ModelFormatException(path, $"post-processor token '{token}' has id {id}, out of range for {allTokens.Length} tokens");
        var decoder = Obj(root, "decoder") is { } d ? Decoder(path, d) : WordPieceDecoder.JoinWithSpaces;
        return new PipelineTokenizer(normalizer, pre, wordModel, frame, added, special, decoder);
    }

    private static int Unknown(string path, JsonElement model, Dictionary<string, int> vocabulary, string type) =>
        Str(model, "unk_token") is { } unk && vocabulary.TryGetValue(unk, out int id) ? id
            : throw new ModelFormatException(path, $"{type} unk_token '{Str(model, "unk_token")}' is not in the vocabulary");

    private static INormalizerStage Normalizer(string path, JsonElement stage) => Str(stage, "type") switch
    {
        "Sequence" => new SequenceNormalizer(List(path, stage, "normalizers", "Sequence normalizer").Select(s => Normalizer(path, s)).ToList()),
        "Lowercase" => RuneMapNormalizer.Lowercase,
        "StripAccents" => RuneMapNormalizer.StripAccents,
        "Strip" => new StripNormalizer(Bool(stage, "strip_left") ?? true, Bool(stage, "strip_right") ?? true),
        "NFD" => new UnicodeFormNormalizer(compatibility: false, compose: false),
        "NFKD" => new UnicodeFormNormalizer(compatibility: true, compose: false),
        "NFC" => new UnicodeFormNormalizer(compatibility: false, compose: true),
        "NFKC" => new UnicodeFormNormalizer(compatibility: true, compose: true),
        "Replace" => new ReplaceNormalizer(Pattern(path, stage, "Replace normalizer"),
            Str(stage, "content") ?? throw new ModelFormatException(path, "Replace normalizer has no \"content\" string")),
        "Precompiled" => new PrecompiledStage(new PrecompiledNormalizer(PrecompiledMap(path, stage), collapseSpaces: false)),
        "Prepend" => new PrependNormalizer(Str(stage, "prepend") ?? throw new ModelFormatException(path, "Prepend normalizer has no \"prepend\" string")),
        var type => throw new ModelFormatException(path, $"normalizer '{type}' is not supported on the generic pipeline"),
    };

    private static IPreTokenizerStage PreTokenizer(string path, JsonElement stage) => Str(stage, "type") switch
    {
        "Sequence" => new SequencePreTokenizer(List(path, stage, "pretokenizers", "Sequence pre-tokenizer").Select(s => PreTokenizer(path, s)).ToList()),
        "Whitespace" => WhitespacePreTokenizer.Instance,
        "WhitespaceSplit" => CharClassPreTokenizer.WhitespaceSplit,
        "BertPreTokenizer" => new SequencePreTokenizer([CharClassPreTokenizer.WhitespaceSplit, CharClassPreTokenizer.Punctuation(SplitBehavior.Isolated)]),
        "Punctuation" => CharClassPreTokenizer.Punctuation(Behavior(path, stage, "Punctuation pre-tokenizer") ?? SplitBehavior.Isolated),
        "Digits" => CharClassPreTokenizer.Digits(Bool(stage, "individual_digits") ?? false),
        "Metaspace" => new MetaspacePreTokenizer(Replacement(path, stage, "Metaspace pre-tokenizer"), Scheme(path, stage), Bool(stage, "split") ?? true),
        "Split" => new RegexSplitPreTokenizer(Pattern(path, stage, "Split pre-tokenizer"),
            Behavior(path, stage, "Split pre-tokenizer") ?? throw new ModelFormatException(path, "Split pre-tokenizer has no \"behavior\""), Bool(stage, "invert") ?? false),
        var type => throw new ModelFormatException(path, $"pre-tokenizer '{type}' is not supported on the generic pipeline"),
    };

    private static SplitBehavior? Behavior(string path, JsonElement stage, string what) =>
        !stage.TryGetProperty("behavior", out var b) || b.ValueKind == JsonValueKind.Null ? null
            : SplitBehaviors.Parse(Str(stage, "behavior")) ?? throw new ModelFormatException(path, $"{what} behavior '{b}' is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");

    /// <summary>{"String": literal} or {"Regex": pattern}.</summary>
    private static Regex Pattern(string path, JsonElement stage, string what)
    {
        var pattern = Obj(stage, "pattern") ?? throw new ModelFormatException(path, $"{what} has no \"pattern\" object");
        if (Str(pattern, "String") is { } literal) return new Regex(Regex.Escape(literal), RegexOptions.CultureInvariant);
        if (Str(pattern, "Regex") is not { } regex) throw new ModelFormatException(path, $"{what} pattern is neither String nor Regex");
        try { return new Regex(regex, RegexOptions.CultureInvariant); }
        catch (ArgumentException e) { throw new ModelFormatException(path, $"{what} regex does not compile in .NET: {e.Message}", e); }
    }

    private static SpecialTokenFrame PostProcessor(string path, JsonElement stage, Dictionary<string, int> vocabulary, Dictionary<string, int> added)
    {
        switch (Str(stage, "type"))
        {
            case "BertProcessing":
            case "RobertaProcessing":
                var cls = Pair(path, stage, "cls");
                var sep = Pair(path, stage, "sep");
                return new SpecialTokenFrame([cls], [sep]);
            case "TemplateProcessing":
                return Template(path, stage, vocabulary, added);
            default:
                throw new ModelFormatException(path, $"post-processor '{Str(stage, "type")}' is not supported on the generic pipeline");
        }
    }

    // ["[CLS]", 101]
    private static (int, string) Pair(string path, JsonElement stage, string name) =>
        stage.TryGetProperty(name, out var pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
            && pair[0].ValueKind == JsonValueKind.String && pair[1].TryGetInt32(out int id) && id >= 0
            ? (id, pair[0].GetString()!)
            : throw new ModelFormatException(path, $"{Str(stage, "type")} \"{name}\" is not [token, id]");

    private static SpecialTokenFrame Template(string path, JsonElement stage, Dictionary<string, int> vocabulary, Dictionary<string, int> added)
    {
        if (!stage.TryGetProperty("single", out var single) || single.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException(path, "TemplateProcessing has no \"single\" template");
        var prefix = new List<(int, string)>();
        var suffix = new List<(int, string)>();
        bool sequenceSeen = false;
        foreach (var item in single.EnumerateArray())
        {
            if (Obj(item, "Sequence") is not null)
            {
                if (sequenceSeen) throw new ModelFormatException(path, "TemplateProcessing's single template has two sequences");
                sequenceSeen = true;
                continue;
            }
            var name = (Obj(item, "SpecialToken") is { } token ? Str(token, "id") : null)
                ?? throw new ModelFormatException(path, "a TemplateProcessing item is neither Sequence nor SpecialToken");
            var target = sequenceSeen ? suffix : prefix;
            if (Obj(stage, "special_tokens") is { } specials && Obj(specials, name) is { } entry)
            {
                if (!entry.TryGetProperty("ids", out var ids) || ids.ValueKind != JsonValueKind.Array || !entry.TryGetProperty("tokens", out var texts)
                    || texts.ValueKind != JsonValueKind.Array || texts.GetArrayLength() != ids.GetArrayLength())
                    throw new ModelFormatException(path, $"TemplateProcessing special token '{name}' has no matching \"ids\" and \"tokens\"");
                for (int k = 0; k < ids.GetArrayLength(); k++)
                    target.Add((ids[k].TryGetInt32(out int id) && id >= 0 ? id : throw new ModelFormatException(path, $"TemplateProcessing special token '{name}' has a bad id"),
                        texts[k].ValueKind == JsonValueKind.String ? texts[k].GetString()! : name));
            }
            else if (added.TryGetValue(name, out int addedId) || vocabulary.TryGetValue(name, out addedId)) target.Add((addedId, name));
            else throw new ModelFormatException(path, $"TemplateProcessing token '{name}' has no id");
        }
        if (!sequenceSeen) throw new ModelFormatException(path, "TemplateProcessing's single template has no $A sequence");
        return new SpecialTokenFrame(prefix, suffix);
    }

    private static IDecoderStage Decoder(string path, JsonElement stage) => Str(stage, "type") switch
    {
        "WordPiece" => new WordPieceDecoder(Str(stage, "prefix") ?? "##", Bool(stage, "cleanup") ?? true),
        "Metaspace" => new MetaspaceDecoder(Replacement(path, stage, "Metaspace decoder"), Scheme(path, stage) != MetaspacePreTokenizer.Prepend.Never),
        var type => throw new ModelFormatException(path, $"decoder '{type}' is not supported on the generic pipeline (WordPiece, Metaspace, or none, are)"),
    };

    private static char Replacement(string path, JsonElement stage, string what) =>
        (Str(stage, "replacement") ?? "\u2581") is { Length: 1 } r ? r[0] : throw new ModelFormatException(path, $"{what} replacement is not one character");

    // prepend_scheme, or the older add_prefix_space (true: always).
    private static MetaspacePreTokenizer.Prepend Scheme(string path, JsonElement stage) => Str(stage, "prepend_scheme") switch
    {
        "always" => MetaspacePreTokenizer.Prepend.Always,
        "first" => MetaspacePreTokenizer.Prepend.First,
        "never" => MetaspacePreTokenizer.Prepend.Never,
        null => Bool(stage, "add_prefix_space") == false ? MetaspacePreTokenizer.Prepend.Never : MetaspacePreTokenizer.Prepend.Always,
        var other => throw new ModelFormatException(path, $"Metaspace prepend_scheme '{other}' is not one of always, first, never"),
    };

    private static PrecompiledCharsMap PrecompiledMap(string path, JsonElement stage)
    {
        try { return new PrecompiledCharsMap(Convert.FromBase64String(Str(stage, "precompiled_charsmap") ?? ""), path); }
        catch (FormatException) { throw new ModelFormatException(path, "Precompiled normalizer's precompiled_charsmap is not base64"); }
    }

    /// <summary>Added tokens by content; ids of the special ones. Matched in the raw text, so normalized ones need no normalizer.</summary>
    private static (Dictionary<string, int> Added, HashSet<int> Special) AddedTokens(string path, JsonElement root, Dictionary<string, int> vocabulary, int vocabularySize, bool normalizes)
    {
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new HashSet<int>();
        if (!root.TryGetProperty("added_tokens", out var list) || list.ValueKind != JsonValueKind.Array) return (added, special);
        foreach (var token in list.EnumerateArray())
        {
            var content = Str(token, "content");
            if (string.IsNullOrEmpty(content) || !token.TryGetProperty("id", out var idElement) || !idElement.TryGetInt32(out int id) || id < 0)
                throw new ModelFormatException(path, "an added token has no content or id");
            if (vocabulary.TryGetValue(content, out int existing) && existing != id)
                throw new ModelFormatException(path, $"added token '{content}' has id {id} but the vocabulary says {existing}");
            if (id < vocabularySize && !vocabulary.ContainsKey(content))
                throw new ModelFormatException(path, $"added token '{content}' has id {id}, which the vocabulary gives to another token");
            foreach (var option in new[] { "single_word", "lstrip", "rstrip" })
                if (Bool(token, option) == true) throw new ModelFormatException(path, $"added token '{content}' sets {option}, which the generic pipeline does not support yet");
            bool isSpecial = Bool(token, "special") ?? false;
            if (normalizes && (Bool(token, "normalized") ?? !isSpecial))
                throw new ModelFormatException(path, $"added token '{content}' is matched after normalization, which the generic pipeline does not support yet");
            added[content] = id;
            if (isSpecial) special.Add(id);
        }
        return (added, special);
    }

    private static IEnumerable<JsonElement> List(string path, JsonElement stage, string name, string what) =>
        stage.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList()
            : throw new ModelFormatException(path, $"{what} has no \"{name}\" array");

    private static JsonElement? Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
