using System.Text.Json;
using System.Text.RegularExpressions;
using Loom.Formats;
using Loom.Tokenization.Pipeline;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer.json onto Microsoft.ML.Tokenizers: WordPiece (BERT family) as
/// <see cref="BertWordPieceTokenizer"/>; byte-level BPE (GPT-2 style: ByteLevel pre-tokenizer, or a Split regex then
/// ByteLevel as in Llama 3 / Qwen2) as ML.Tokenizers' <see cref="BpeTokenizer"/> (behind <see cref="IgnoreMergesBpeTokenizer"/>
/// when the file sets ignore_merges, as Llama 3's does; Qwen2's NFC normalizer by <see cref="NfcNormalizer"/>); SentencePiece-style BPE (Llama 2 /
/// Mistral: "▁" for spaces, byte fallback, fused unknowns, TemplateProcessing) as <see cref="SentencePieceBpeTokenizer"/>.
/// Unigram (T5 / ALBERT / XLNet style, with a Precompiled normalizer) as <see cref="UnigramTokenizer"/>.
/// WordPiece and Unigram with other stages, and WordLevel, run stage by stage as declared (<see cref="PipelineTokenizer"/>).
/// What it does not support yet (other normalizers and pre-tokenizers) it refuses by name rather than tokenizing differently.
/// </summary>
public static class TokenizerJsonLoader
{
    /// <summary>The pre-tokenizer regex of GPT-2's ByteLevel stage (use_regex: true).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <exception cref="ModelFormatException">invalid JSON, an unknown or unsupported stage, inconsistent vocabulary or merges</exception>
    public static Tokenizer Load(string path)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllBytes(path)).RootElement; }
        catch (JsonException e) { throw new ModelFormatException(path, $"not valid JSON: {e.Message}", e); }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, "no \"model\" object");
        return String(model, "type") switch
        {
            "WordPiece" when IsBertStyle(root) => WordPiece(path, root, model),
            "WordPiece" or "WordLevel" => PipelineJson.Build(path, root, model, Vocabulary(path, model), unigram: null),
            "BPE" when IsSentencePieceStyle(root, model) => SentencePieceBpe(path, root, model),
            "BPE" => ByteLevelBpe(path, root, model),
            "Unigram" => Unigram(path, root, model),
            var type => throw new ModelFormatException(path, $"model type '{type ?? "(none)"}' is not supported yet (WordPiece, WordLevel, BPE and Unigram are)"),
        };
    }

    /// <summary>BERT's own stages (or none): the dedicated <see cref="BertWordPieceTokenizer"/>; anything else goes stage by stage.</summary>
    private static bool IsBertStyle(JsonElement root) =>
        (Object(root, "normalizer") is not { } normalizer || String(normalizer, "type") == "BertNormalizer")
        && (Object(root, "pre_tokenizer") is not { } pre || String(pre, "type") == "BertPreTokenizer")
        && (Object(root, "post_processor") is not { } post || String(post, "type") is "TemplateProcessing" or "BertProcessing");

    private static BertWordPieceTokenizer WordPiece(string path, JsonElement root, JsonElement model)
    {
        var tokens = Vocabulary(path, model);
        var options = new BertTokenizerOptions
        {
            UnknownToken = String(model, "unk_token") ?? "[UNK]",
            ContinuingSubwordPrefix = String(model, "continuing_subword_prefix") ?? "##",
            MaxInputCharsPerWord = model.TryGetProperty("max_input_chars_per_word", out var m) && m.TryGetInt32(out int max) ? max : 100,
        };
        if (Object(root, "normalizer") is { } normalizer)
        {
            if (String(normalizer, "type") != "BertNormalizer")
                throw new ModelFormatException(path, $"normalizer '{String(normalizer, "type")}' with a WordPiece model is not supported yet (BertNormalizer is)");
            options = options with
            {
                LowerCase = Bool(normalizer, "lowercase") ?? true,
                StripAccents = Bool(normalizer, "strip_accents"),
                CleanText = Bool(normalizer, "clean_text") ?? true,
                HandleChineseCharacters = Bool(normalizer, "handle_chinese_chars") ?? true,
            };
        }
        if (Object(root, "pre_tokenizer") is { } pre && String(pre, "type") != "BertPreTokenizer")
            throw new ModelFormatException(path, $"pre-tokenizer '{String(pre, "type")}' with a WordPiece model is not supported yet (BertPreTokenizer is)");
        return BertWordPieceTokenizer.FromTokens(tokens, options);
    }

    /// <summary>
    /// Unigram with a Metaspace pre-tokenizer (split, prepend "▁" always), optionally after a WhitespaceSplit (T5), and
    /// no normalizer or a Precompiled one (optionally followed by Replace(" {2,}", " ")), as converted SentencePiece files
    /// have, and no post-processor, runs as <see cref="UnigramTokenizer"/>; other stages (ALBERT's and XLNet's normalizers,
    /// T5's TemplateProcessing) stage by stage.
    /// </summary>
    private static Tokenizer Unigram(string path, JsonElement root, JsonElement model)
    {
        if (Bool(model, "byte_fallback") == true) throw new ModelFormatException(path, "Unigram with byte_fallback is not supported yet");
        var (tokens, scores, unknownId) = UnigramVocabulary(path, model);
        var pre = Object(root, "pre_tokenizer");
        bool whitespaceSplit = false;
        if (pre is { } sequence && String(sequence, "type") == "Sequence" && sequence.TryGetProperty("pretokenizers", out var stages)
            && stages.ValueKind == JsonValueKind.Array && stages.GetArrayLength() == 2 && String(stages[0], "type") == "WhitespaceSplit")
        {
            whitespaceSplit = true;
            pre = stages[1];
        }
        bool metaspace = pre is { } m && String(m, "type") == "Metaspace" && Bool(m, "split") != false && Bool(m, "add_prefix_space") != false
            && String(m, "replacement") is null or "\u2581" && String(m, "prepend_scheme") is null or "always";
        // UnigramTokenizer adds no special tokens: a post-processor (T5's "$A </s>") needs the generic path too.
        if (!metaspace || (Object(root, "normalizer") is { } n && !IsPrecompiled(n)) || Object(root, "post_processor") is not null)
            return PipelineJson.Build(path, root, model, tokens, new UnigramTokenizer(tokens, scores, unknownId, []));
        var normalizer = Object(root, "normalizer") is { } precompiled ? PrecompiledNormalizer(path, precompiled) : null;
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < tokens.Length; k++) vocabulary[tokens[k]] = k;
        return new UnigramTokenizer(tokens, scores, unknownId, AddedTokens(path, root, vocabulary), normalizer, whitespaceSplit);
    }

    /// <summary>The Unigram model's [piece, score] pairs and unk_id.</summary>
    private static (string[] Tokens, double[] Scores, int UnknownId) UnigramVocabulary(string path, JsonElement model)
    {
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException(path, "the Unigram model has no \"vocab\" array of [piece, score]");
        var tokens = new string[vocab.GetArrayLength()];
        var scores = new double[tokens.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var entry in vocab.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String
                || entry[1].ValueKind != JsonValueKind.Number || !double.IsFinite(entry[1].GetDouble()))
                throw new ModelFormatException(path, $"vocab entry {i} is not [piece, finite score]");
            tokens[i] = entry[0].GetString()!;
            if (tokens[i].Length == 0 || !seen.Add(tokens[i])) throw new ModelFormatException(path, $"vocab entry {i} ('{tokens[i]}') is empty or appears twice");
            scores[i++] = entry[1].GetDouble();
        }
        if (tokens.Length == 0) throw new ModelFormatException(path, "the Unigram vocabulary is empty");
        if (!model.TryGetProperty("unk_id", out var unk) || !unk.TryGetInt32(out int unknownId) || unknownId < 0 || unknownId >= tokens.Length)
            throw new ModelFormatException(path, "the Unigram model has no valid unk_id");
        return (tokens, scores, unknownId);
    }

    /// <summary>Precompiled, or Sequence[Precompiled, Replace(Regex " {2,}" → " ")].</summary>
    private static bool IsPrecompiled(JsonElement normalizer)
    {
        var stages = String(normalizer, "type") == "Sequence" && normalizer.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToList() : [normalizer];
        bool collapse = stages.Count == 2 && String(stages[1], "type") == "Replace" && Object(stages[1], "pattern") is { } pattern
            && String(pattern, "Regex") == " {2,}" && String(stages[1], "content") == " ";
        return stages.Count > 0 && String(stages[0], "type") == "Precompiled" && stages.Count == (collapse ? 2 : 1);
    }

    /// <summary>Precompiled, or Sequence[Precompiled, Replace(Regex " {2,}" → " ")], as converted SentencePiece files write it.</summary>
    private static PrecompiledNormalizer PrecompiledNormalizer(string path, JsonElement normalizer)
    {
        var stages = String(normalizer, "type") == "Sequence" && normalizer.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToList() : [normalizer];
        bool collapse = stages.Count == 2 && String(stages[1], "type") == "Replace" && Object(stages[1], "pattern") is { } pattern
            && String(pattern, "Regex") == " {2,}" && String(stages[1], "content") == " ";
        if (String(stages[0], "type") != "Precompiled" || stages.Count != (collapse ? 2 : 1))
            throw new ModelFormatException(path, $"normalizer '{String(normalizer, "type")}' with a Unigram model is not supported yet (Precompiled, optionally then Replace(' {{2,}}', ' '), is)");
        byte[] blob;
        try { blob = Convert.FromBase64String(String(stages[0], "precompiled_charsmap") ?? ""); }
        catch (FormatException) { throw new ModelFormatException(path, "precompiled_charsmap is not base64"); }
        return new PrecompiledNormalizer(new PrecompiledCharsMap(blob, path), collapse);
    }

    /// <summary>Llama 2 / Mistral files: byte fallback, or "▁" put in by the normaliser or a Metaspace pre-tokenizer.</summary>
    private static bool IsSentencePieceStyle(JsonElement root, JsonElement model) =>
        Bool(model, "byte_fallback") == true
        || (Object(root, "pre_tokenizer") is { } pre && String(pre, "type") == "Metaspace")
        || (Object(root, "normalizer") is { } normalizer && MentionsMetaspace(normalizer.GetRawText()));

    // "▁" written as itself or as a JSON escape.
    private static bool MentionsMetaspace(string json) =>
        json.Contains('\u2581') || json.Contains("\\u2581", StringComparison.OrdinalIgnoreCase);

    private static SentencePieceBpeTokenizer SentencePieceBpe(string path, JsonElement root, JsonElement model)
    {
        if (Bool(model, "ignore_merges") == true) throw new ModelFormatException(path, "BPE with ignore_merges is not supported yet");
        var tokens = Vocabulary(path, model);
        var vocabulary = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) vocabulary[tokens[i]] = i;
        var merges = Merges(path, model, vocabulary).Select(m => m.Split(' ') is [var l, var r] ? (l, r) : default).ToList();
        bool prepend = SpaceHandling(path, root);
        var special = AddedTokens(path, root, vocabulary);
        var (prefix, suffix) = Template(path, root, vocabulary);
        return new SentencePieceBpeTokenizer(tokens, merges, special, String(model, "unk_token"),
            Bool(model, "byte_fallback") == true, Bool(model, "fuse_unk") == true, prefix, suffix, prepend,
            prependUnlessPresent: Object(root, "pre_tokenizer") is not null);
    }

    /// <summary>
    /// Where spaces become "▁": normalizer Sequence[Prepend("▁"), Replace(" ", "▁")] (or Replace alone), or a Metaspace
    /// pre-tokenizer that does not split. Returns whether a "▁" is prepended.
    /// </summary>
    private static bool SpaceHandling(string path, JsonElement root)
    {
        const string Meta = "\u2581";
        if (Object(root, "pre_tokenizer") is { } pre)
        {
            if (String(pre, "type") != "Metaspace" || Bool(pre, "split") == true || Object(root, "normalizer") is not null)
                throw new ModelFormatException(path, "only Metaspace without splitting (and no normalizer) is supported as a SentencePiece-style pre-tokenizer");
            return String(pre, "prepend_scheme") switch
            {
                "always" => true,
                "never" => false,
                var scheme => throw new ModelFormatException(path, $"Metaspace prepend_scheme '{scheme}' is not supported yet (always, never are)"),
            };
        }
        if (Object(root, "normalizer") is not { } normalizer) return false;
        var stages = String(normalizer, "type") == "Sequence" && normalizer.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToList() : [normalizer];
        bool prepend = false, replace = false;
        foreach (var stage in stages)
        {
            switch (String(stage, "type"))
            {
                case "Prepend" when String(stage, "prepend") == "▁" && !replace: prepend = true; break;
                case "Replace" when Object(stage, "pattern") is { } pattern && String(pattern, "String") == " " && String(stage, "content") == "▁": replace = true; break;
                default: throw new ModelFormatException(path, $"normalizer stage '{String(stage, "type")}' is not supported yet with a SentencePiece-style BPE (Prepend and Replace of ' ' by '{Meta}' are)");
            }
        }
        if (!replace) throw new ModelFormatException(path, "a SentencePiece-style BPE needs spaces replaced by '▁'");
        return prepend;
    }

    /// <summary>The ids a TemplateProcessing post-processor puts before and after a single sequence.</summary>
    private static (int[] Prefix, int[] Suffix) Template(string path, JsonElement root, Dictionary<string, int> vocabulary)
    {
        if (Object(root, "post_processor") is not { } post) return ([], []);
        if (String(post, "type") != "TemplateProcessing" || !post.TryGetProperty("single", out var single) || single.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException(path, $"post-processor '{String(post, "type")}' is not supported yet with a SentencePiece-style BPE (TemplateProcessing is)");
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool sequenceSeen = false;
        foreach (var item in single.EnumerateArray())
        {
            if (Object(item, "Sequence") is not null) { sequenceSeen = true; continue; }
            var name = Object(item, "SpecialToken") is { } token ? String(token, "id") : null;
            if (name is null) throw new ModelFormatException(path, "a TemplateProcessing item is neither Sequence nor SpecialToken");
            int id = Object(post, "special_tokens") is { } specials && Object(specials, name) is { } entry
                     && entry.TryGetProperty("ids", out var ids) && ids.ValueKind == JsonValueKind.Array && ids.GetArrayLength() == 1 && ids[0].TryGetInt32(out int given)
                ? given
                : vocabulary.TryGetValue(name, out int known) ? known : throw new ModelFormatException(path, $"template token '{name}' has no id");
            (sequenceSeen ? suffix : prefix).Add(id);
        }
        return (prefix.ToArray(), suffix.ToArray());
    }

    private static Tokenizer ByteLevelBpe(string path, JsonElement root, JsonElement model)
    {
        if (Bool(model, "byte_fallback") == true) throw new ModelFormatException(path, "BPE with byte_fallback (SentencePiece style) is not supported yet");
        var tokens = Vocabulary(path, model);
        var vocabulary = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) vocabulary[tokens[i]] = i;
        var merges = Merges(path, model, vocabulary);
        var pattern = PreTokenizerPattern(path, Object(root, "pre_tokenizer"));
        var special = AddedTokens(path, root, vocabulary);
        Normalizer? nfc = null;
        if (Object(root, "normalizer") is { } normalizer)
            nfc = String(normalizer, "type") == "NFC" && Bool(model, "ignore_merges") != true ? new NfcNormalizer(special.Keys)
                : throw new ModelFormatException(path, $"normalizer '{String(normalizer, "type")}' with a byte-level BPE model is not supported yet (NFC is, without ignore_merges)");
        return Bool(model, "ignore_merges") == true
            ? new IgnoreMergesBpeTokenizer(vocabulary, merges, pattern, special, String(model, "unk_token"))
            : CreateByteLevelBpe(vocabulary, merges, pattern, special, String(model, "unk_token"), nfc);
    }

    /// <summary>ML.Tokenizers' BPE in byte-level mode, behind a regex pre-tokenizer that keeps special tokens whole.</summary>
    internal static BpeTokenizer CreateByteLevelBpe(Dictionary<string, int> vocabulary, List<string> merges, string pattern,
        Dictionary<string, int> special, string? unknownToken, Normalizer? normalizer = null) =>
        BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Normalizer = normalizer,
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special.Count == 0 ? null : special),
            SpecialTokens = special.Count == 0 ? null : special,
            UnknownToken = unknownToken,
        });

    /// <summary>Checks "a b" merges against the vocabulary (both parts and their concatenation must be tokens).</summary>
    internal static List<string> CheckMerges(string? path, IEnumerable<(string? Left, string? Right)> merges, Dictionary<string, int> vocabulary)
    {
        var result = new List<string>();
        int index = 0;
        foreach (var (left, right) in merges)
        {
            if (left is null || right is null) throw new ModelFormatException(path, $"merge {index} is not two tokens");
            foreach (var part in new[] { left, right, left + right })
                if (!vocabulary.ContainsKey(part)) throw new ModelFormatException(path, $"merge {index} ({left} {right}) names '{part}', which is not in the vocabulary");
            if (left.Contains(' ') || right.Contains(' ')) throw new ModelFormatException(path, $"merge {index} has a token with a space, which ML.Tokenizers' BPE cannot take");
            result.Add($"{left} {right}");
            index++;
        }
        return result;
    }

    /// <summary>ByteLevel (GPT-2's regex) or Sequence[Split(regex, Isolated), ByteLevel(use_regex: false)].</summary>
    private static string PreTokenizerPattern(string path, JsonElement? pre)
    {
        if (pre is not { } p) throw new ModelFormatException(path, "a byte-level BPE needs a ByteLevel pre-tokenizer");
        switch (String(p, "type"))
        {
            case "ByteLevel":
                if (Bool(p, "add_prefix_space") == true) throw new ModelFormatException(path, "ByteLevel add_prefix_space is not supported yet");
                if (Bool(p, "use_regex") == false) throw new ModelFormatException(path, "ByteLevel without a regex splits nothing; not supported");
                return Gpt2Pattern;
            case "Sequence" when p.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() == 2:
                var split = list[0];
                var byteLevel = list[1];
                if (String(split, "type") != "Split" || String(byteLevel, "type") != "ByteLevel" || Bool(byteLevel, "use_regex") == true
                    || String(split, "behavior") != "Isolated" || Bool(split, "invert") == true
                    || Object(split, "pattern") is not { } patternObject || String(patternObject, "Regex") is not { } regex)
                    throw new ModelFormatException(path, "only Sequence[Split(Regex, Isolated), ByteLevel(use_regex: false)] is supported");
                try { _ = new Regex(regex); }
                catch (ArgumentException e) { throw new ModelFormatException(path, $"the Split regex does not compile in .NET: {e.Message}", e); }
                return regex;
            default:
                throw new ModelFormatException(path, $"pre-tokenizer '{String(p, "type")}' with a BPE model is not supported yet");
        }
    }

    private static List<string> Merges(string path, JsonElement model, Dictionary<string, int> vocabulary)
    {
        if (!model.TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException(path, "the BPE model has no \"merges\" array");
        return CheckMerges(path, merges.EnumerateArray().Select(merge =>
        {
            // Two forms: "a b" (older files) or ["a", "b"] (tokenizers ≥ 0.20, which allows spaces in tokens).
            if (merge.ValueKind == JsonValueKind.String && merge.GetString()!.Split(' ') is [var l, var r]) return (l, r);
            if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
                return (merge[0].GetString(), merge[1].GetString());
            return ((string?)null, (string?)null);
        }), vocabulary);
    }

    private static Dictionary<string, int> AddedTokens(string path, JsonElement root, Dictionary<string, int> vocabulary)
    {
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind != JsonValueKind.Array) return special;
        foreach (var token in added.EnumerateArray())
        {
            var content = String(token, "content");
            if (content is null || !token.TryGetProperty("id", out var idElement) || !idElement.TryGetInt32(out int id) || id < 0)
                throw new ModelFormatException(path, "an added token has no content or id");
            if (vocabulary.TryGetValue(content, out int existing) && existing != id)
                throw new ModelFormatException(path, $"added token '{content}' has id {id} but the vocabulary says {existing}");
            special[content] = id;
        }
        return special;
    }

    /// <summary>The model's vocab as tokens by id: ids must be 0…n−1, each once.</summary>
    private static string[] Vocabulary(string path, JsonElement model)
    {
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, "the model has no \"vocab\" object");
        var entries = new List<(string Token, int Id)>();
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw new ModelFormatException(path, $"token '{entry.Name}' has no valid id");
            entries.Add((entry.Name, id));
        }
        var tokens = new string?[entries.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (token, id) in entries)
        {
            if (id >= tokens.Length) throw new ModelFormatException(path, $"id {id} of '{token}' is out of range for {tokens.Length} tokens");
            if (tokens[id] is not null) throw new ModelFormatException(path, $"id {id} is given to both '{tokens[id]}' and '{token}'");
            if (!seen.Add(token)) throw new ModelFormatException(path, $"token '{token}' appears twice");
            tokens[id] = token;
        }
        return tokens!;
    }

    private static JsonElement? Object(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
