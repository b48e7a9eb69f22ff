using System.Buffers;
using System.Text;
using Loom.Formats;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// BERT's WordPiece tokenizer exactly as Hugging Face tokenizers runs it (BertNormalizer → BertPreTokenizer →
/// WordPiece → [CLS] A [SEP] B [SEP]), as a <see cref="Tokenizer"/> so it plugs in wherever
/// <see cref="BertTokenizer"/> does. Unlike BertTokenizer 2.0.1 it splits off (rather than deletes) symbols such as
/// $ + &lt; = &gt; and emoji, separates words at tabs and newlines, and splits at '_' — the ids BERT models were trained on.
/// Offsets are spans of the original text.
/// </summary>
public sealed class BertWordPieceTokenizer : Tokenizer
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _words;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;
    private readonly string[] _tokens;
    private readonly string[] _specialTokens;
    private readonly HashSet<int> _specialIds;

    private BertWordPieceTokenizer(IReadOnlyList<string> tokens, BertTokenizerOptions options, string? source)
    {
        Options = options;
        if (options.MaxInputCharsPerWord < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxInputCharsPerWord must be positive");
        _tokens = tokens.ToArray();
        _vocabulary = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < _tokens.Length; id++)
        {
            var token = _tokens[id];
            if (token.Length == 0) throw new ModelFormatException(source, $"token {id} is empty");
            if (!_vocabulary.TryAdd(token, id)) throw new ModelFormatException(source, $"token '{token}' appears twice (ids {_vocabulary[token]} and {id})");
            var prefix = options.ContinuingSubwordPrefix;
            if (prefix.Length > 0 && token.Length > prefix.Length && token.StartsWith(prefix, StringComparison.Ordinal))
                continuations[token[prefix.Length..]] = id;
        }
        _words = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
        UnknownTokenId = Require(options.UnknownToken, source);
        ClassificationTokenId = Require(options.ClassificationToken, source);
        SeparatorTokenId = Require(options.SeparatorToken, source);
        PaddingTokenId = Require(options.PaddingToken, source);
        MaskingTokenId = _vocabulary.GetValueOrDefault(options.MaskingToken, -1);
        _specialTokens = new[] { options.PaddingToken, options.UnknownToken, options.ClassificationToken, options.SeparatorToken, options.MaskingToken }
            .Where(_vocabulary.ContainsKey).Distinct().ToArray();
        _specialIds = _specialTokens.Select(t => _vocabulary[t]).ToHashSet();
    }

    /// <summary>Reads a vocab.txt (one token per line, id = line number; LF or CRLF).</summary>
    /// <exception cref="ModelFormatException">empty or duplicate tokens, or a required special token missing</exception>
    public static BertWordPieceTokenizer FromVocabFile(string vocabPath, BertTokenizerOptions? options = null)
    {
        var lines = File.ReadAllLines(vocabPath, Encoding.UTF8).ToList();
        // A final newline gives no token; ReadAllLines already drops it. Trailing blank lines are padding, not tokens.
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return new BertWordPieceTokenizer(lines, options ?? new BertTokenizerOptions(), vocabPath);
    }

    /// <summary>Builds the tokenizer from tokens in id order.</summary>
    public static BertWordPieceTokenizer FromTokens(IReadOnlyList<string> tokens, BertTokenizerOptions? options = null) =>
        new(tokens, options ?? new BertTokenizerOptions(), null);

    public BertTokenizerOptions Options { get; }
    public int UnknownTokenId { get; }
    public int ClassificationTokenId { get; }
    public int SeparatorTokenId { get; }
    public int PaddingTokenId { get; }

    /// <summary>The [MASK] id, or -1 when the vocabulary has none.</summary>
    public int MaskingTokenId { get; }

    public IReadOnlyDictionary<string, int> Vocabulary => _vocabulary;
    public int VocabularySize => _tokens.Length;

    /// <summary>The token of an id.</summary>
    public string IdToToken(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), $"id {id} is not in the vocabulary of {_tokens.Length}");

    /// <summary>Ids of <paramref name="text"/>, with or without [CLS] … [SEP].</summary>
    public IReadOnlyList<int> EncodeToIds(string text, bool addSpecialTokens, bool considerPreTokenization = true, bool considerNormalization = true)
    {
        var ids = new List<int>();
        if (addSpecialTokens) ids.Add(ClassificationTokenId);
        Encode(text, ids, null, considerNormalization, considerPreTokenization);
        if (addSpecialTokens) ids.Add(SeparatorTokenId);
        return ids;
    }

    /// <summary>Encodes a text, or a pair of texts, as a BERT model takes it (ids, token types, mask, offsets).</summary>
    public BertEncoding Encode(string text, string? textPair = null, BertEncodeOptions? options = null)
    {
        options ??= new BertEncodeOptions();
        var (firstIds, firstSpans) = Pieces(text);
        var (secondIds, secondSpans) = textPair is null ? (new List<int>(), new List<Range>()) : Pieces(textPair);
        if (options.MaxLength is int max)
        {
            int specials = options.AddSpecialTokens ? (textPair is null ? 2 : 3) : 0;
            int budget = max - specials;
            if (budget < 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxLength {max} leaves no room for the {specials} special tokens");
            TruncateLongestFirst(firstIds, firstSpans, secondIds, secondSpans, budget);
        }
        var ids = new List<int>();
        var types = new List<int>();
        var offsets = new List<Range>();
        void Special(int id, int type) { ids.Add(id); types.Add(type); offsets.Add(default); }
        void Sequence(List<int> pieceIds, List<Range> spans, int type)
        {
            ids.AddRange(pieceIds);
            offsets.AddRange(spans);
            types.AddRange(Enumerable.Repeat(type, pieceIds.Count));
        }
        if (options.AddSpecialTokens) Special(ClassificationTokenId, 0);
        Sequence(firstIds, firstSpans, 0);
        if (options.AddSpecialTokens) Special(SeparatorTokenId, 0);
        if (textPair is not null)
        {
            Sequence(secondIds, secondSpans, 1);
            if (options.AddSpecialTokens) Special(SeparatorTokenId, 1);
        }
        var encoding = new BertEncoding(ids.ToArray(), types.ToArray(), Enumerable.Repeat(1, ids.Count).ToArray(),
            ids.Select(IdToToken).ToArray(), offsets.ToArray());
        return options.PadToLength is int pad ? Pad(encoding, pad) : encoding;
    }

    /// <summary>Encodes several texts, padded to a common length (the longest, or <see cref="BertEncodeOptions.PadToLength"/>).</summary>
    public IReadOnlyList<BertEncoding> EncodeBatch(IReadOnlyList<string> texts, BertEncodeOptions? options = null)
    {
        options ??= new BertEncodeOptions();
        var unpadded = texts.Select(t => Encode(t, null, options with { PadToLength = null })).ToArray();
        int length = options.PadToLength ?? (unpadded.Length == 0 ? 0 : unpadded.Max(e => e.Length));
        return unpadded.Select(e => Pad(e, length)).ToArray();
    }

    private BertEncoding Pad(BertEncoding encoding, int length)
    {
        int extra = length - encoding.Length;
        if (extra <= 0) return encoding;
        return new BertEncoding(
            [.. encoding.Ids, .. Enumerable.Repeat(PaddingTokenId, extra)],
            [.. encoding.TypeIds, .. new int[extra]],
            [.. encoding.AttentionMask, .. new int[extra]],
            [.. encoding.Tokens, .. Enumerable.Repeat(_tokens[PaddingTokenId], extra)],
            [.. encoding.Offsets, .. new Range[extra]]);
    }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var span = text is null ? textSpan : text.AsSpan();
        var ids = new List<int>();
        var spans = new List<Range>();
        if (Options.AddSpecialTokens) { ids.Add(ClassificationTokenId); spans.Add(default); }
        Encode(span, ids, spans, settings.ConsiderNormalization, settings.ConsiderPreTokenization);
        if (Options.AddSpecialTokens) { ids.Add(SeparatorTokenId); spans.Add(default); }
        int count = Math.Min(ids.Count, settings.MaxTokenCount);
        var tokens = new List<EncodedToken>(count);
        for (int i = 0; i < count; i++) tokens.Add(new EncodedToken(ids[i], _tokens[ids[i]], spans[i]));
        int consumed = count == ids.Count ? span.Length : spans.Take(count).Select(r => r.End.Value).DefaultIfEmpty(0).Max();
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = consumed };
    }

    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var span = text is null ? textSpan : text.AsSpan();
        var ids = new List<int>();
        if (Options.AddSpecialTokens) ids.Add(ClassificationTokenId);
        Encode(span, ids, settings.MaxTokenCount == int.MaxValue ? null : new List<Range>(), settings.ConsiderNormalization, settings.ConsiderPreTokenization);
        if (Options.AddSpecialTokens) ids.Add(SeparatorTokenId);
        if (ids.Count <= settings.MaxTokenCount) return new EncodeResults<int> { Tokens = ids, CharsConsumed = span.Length };
        var results = EncodeToTokens(text, textSpan, settings);
        return new EncodeResults<int> { Tokens = results.Tokens.Select(t => t.Id).ToList(), CharsConsumed = results.CharsConsumed };
    }

    /// <summary>HF's WordPiece decoder: special tokens skipped, "##" pieces glued, spaces before punctuation cleaned up.</summary>
    public override string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: true);

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        var text = new StringBuilder();
        var prefix = Options.ContinuingSubwordPrefix;
        int index = 0;
        foreach (int id in ids)
        {
            var token = IdToToken(id);
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            if (index++ == 0) text.Append(token);
            else if (prefix.Length > 0 && token.StartsWith(prefix, StringComparison.Ordinal)) text.Append(token, prefix.Length, token.Length - prefix.Length);
            else if (token is "." or "?" or "!" or ",") text.Append(token); // HF's per-token clean-up of " ." " ?" " !" " ,"
            else text.Append(' ').Append(token);
        }
        return text.ToString();
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        return DecodedText.CopyTo(Decode(list), list.Count, destination, out idsConsumed, out charsWritten);
    }

    private (List<int> Ids, List<Range> Spans) Pieces(string text)
    {
        var ids = new List<int>();
        var spans = new List<Range>();
        Encode(text, ids, spans, true, true);
        return (ids, spans);
    }

    private static void TruncateLongestFirst(List<int> first, List<Range> firstSpans, List<int> second, List<Range> secondSpans, int budget)
    {
        int n1 = first.Count, n2 = second.Count;
        if (n1 + n2 <= budget) return;
        // Remove from the longer sequence until both are equal, then from both alternately (HF's longest_first).
        if (n1 >= n2) { n2 = Math.Min(n2, budget / 2); n1 = budget - n2; }
        else { n1 = Math.Min(n1, budget / 2); n2 = budget - n1; }
        first.RemoveRange(n1, first.Count - n1);
        firstSpans.RemoveRange(n1, firstSpans.Count - n1);
        second.RemoveRange(n2, second.Count - n2);
        secondSpans.RemoveRange(n2, secondSpans.Count - n2);
    }

    /// <summary>The pipeline: special tokens in the raw text are kept whole; the text between them is normalised, split and WordPiece'd.</summary>
    private void Encode(ReadOnlySpan<char> text, List<int> ids, List<Range>? spans, bool normalize, bool preTokenize)
    {
        int start = 0;
        while (start < text.Length)
        {
            int next = text.Length, length = 0, specialId = -1;
            foreach (var special in _specialTokens)
            {
                int at = text[start..].IndexOf(special, StringComparison.Ordinal);
                if (at >= 0 && (start + at < next || (start + at == next && special.Length > length)))
                {
                    next = start + at;
                    length = special.Length;
                    specialId = _vocabulary[special];
                }
            }
            EncodePlain(text[start..next], start, ids, spans, normalize, preTokenize);
            if (specialId < 0) break;
            ids.Add(specialId);
            spans?.Add(next..(next + length));
            start = next + length;
        }
    }

    private void EncodePlain(ReadOnlySpan<char> segment, int offset, List<int> ids, List<Range>? spans, bool normalize, bool preTokenize)
    {
        if (segment.IsEmpty) return;
        var options = normalize ? Options : Options with { CleanText = false, HandleChineseCharacters = false, LowerCase = false, StripAccents = false };
        var normalized = BertNormalizedText.Normalize(segment, options);
        var text = normalized.Text.AsSpan();
        if (!preTokenize) WordPiece(text, 0, text.Length, normalized.Origins, segment, offset, ids, spans);
        else
            foreach (var (start, end) in SplitWords(text))
                WordPiece(text, start, end, normalized.Origins, segment, offset, ids, spans);
    }

    /// <summary>HF's BertPreTokenizer: split at whitespace (dropped), and every punctuation character is a word alone.</summary>
    internal static List<(int Start, int End)> SplitWords(ReadOnlySpan<char> text)
    {
        var words = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            int cp = BertNormalizedText.DecodeAt(text, i, out int length);
            if (BertUnicode.IsWhitespace(cp)) { i += length; continue; }
            int end = i + length;
            if (!BertUnicode.IsPunctuation(cp))
            {
                while (end < text.Length)
                {
                    int c = BertNormalizedText.DecodeAt(text, end, out int l);
                    if (BertUnicode.IsWhitespace(c) || BertUnicode.IsPunctuation(c)) break;
                    end += l;
                }
            }
            words.Add((i, end));
            i = end;
        }
        return words;
    }

    /// <summary>The words BERT's WordPiece sees in <paramref name="text"/>: normalised and pre-tokenized (for trainers).</summary>
    internal static IEnumerable<string> Words(string text, BertTokenizerOptions options)
    {
        var normalized = BertNormalizedText.Normalize(text, options).Text;
        return SplitWords(normalized).Select(w => normalized[w.Start..w.End]);
    }

    private void WordPiece(ReadOnlySpan<char> text, int wordStart, int wordEnd, int[] origins, ReadOnlySpan<char> original, int offset, List<int> ids, List<Range>? spans)
    {
        var word = text[wordStart..wordEnd];
        int firstNew = ids.Count;
        bool unknown = CountCodePoints(word) > Options.MaxInputCharsPerWord;
        int start = 0;
        while (!unknown && start < word.Length)
        {
            int end = word.Length, id = -1;
            while (end > start)
            {
                var piece = word[start..end];
                if ((start == 0 ? _words : _continuations).TryGetValue(piece, out id)) break;
                id = -1;
                end -= end - 1 > start && char.IsLowSurrogate(word[end - 1]) && char.IsHighSurrogate(word[end - 2]) ? 2 : 1;
            }
            if (id < 0) { unknown = true; break; }
            ids.Add(id);
            spans?.Add(Span(wordStart + start, wordStart + end, origins, original, offset));
            start = end;
        }
        if (!unknown) return;
        ids.RemoveRange(firstNew, ids.Count - firstNew);
        if (spans is not null)
        {
            spans.RemoveRange(firstNew, spans.Count - firstNew);
            spans.Add(Span(wordStart, wordEnd, origins, original, offset));
        }
        ids.Add(UnknownTokenId);
    }

    private static Range Span(int normalizedStart, int normalizedEnd, int[] origins, ReadOnlySpan<char> original, int offset)
    {
        int last = origins[normalizedEnd - 1];
        BertNormalizedText.DecodeAt(original, last, out int lastLength);
        return (offset + origins[normalizedStart])..(offset + last + lastLength);
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        int count = word.Length;
        for (int i = 0; i + 1 < word.Length; i++)
            if (char.IsHighSurrogate(word[i]) && char.IsLowSurrogate(word[i + 1])) { count--; i++; }
        return count;
    }

    private int Require(string token, string? source) =>
        _vocabulary.TryGetValue(token, out int id) ? id : throw new ModelFormatException(source, $"the vocabulary has no '{token}' token");
}
