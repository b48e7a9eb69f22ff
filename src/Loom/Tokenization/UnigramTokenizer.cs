using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// The Unigram model (SentencePiece's default, T5 / ALBERT / XLM-R style) as Hugging Face runs a tokenizer.json with a
/// Metaspace pre-tokenizer: spaces become "▁" (one prepended), the text is split before each "▁", and each word is cut
/// by Viterbi into the pieces with the highest total log-probability; a character no piece covers becomes the unknown
/// token (scored 10 below the lowest piece), consecutive unknowns fused. A Precompiled normalizer (T5 / ALBERT / XLNet
/// files) and a WhitespaceSplit before the Metaspace are applied as declared.
/// </summary>
public sealed class UnigramTokenizer : Tokenizer
{
    private const char Space = '\u2581';
    private const double UnknownPenalty = 10;
    private readonly string[] _tokens;
    private readonly double[] _scores;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _maxPieceLength;
    private readonly int _unknownId;
    private readonly double _unknownScore;
    private readonly Dictionary<string, int> _special;

    internal UnigramTokenizer(string[] tokens, double[] scores, int unknownId, Dictionary<string, int> special,
        PrecompiledNormalizer? normalizer = null, bool splitOnWhitespace = false)
    {
        Precompiled = normalizer;
        SplitOnWhitespace = splitOnWhitespace;
        _tokens = tokens;
        _scores = scores;
        _vocabulary = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _vocabulary.TryAdd(tokens[i], i);
        _lookup = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _maxPieceLength = tokens.Max(t => t.Length);
        _unknownId = unknownId;
        _unknownScore = scores.Min() - UnknownPenalty;
        _special = special;
    }

    public IReadOnlyDictionary<string, int> Vocabulary => _vocabulary;

    /// <summary>The Precompiled normalizer applied to the text between added tokens, if the file has one.</summary>
    public PrecompiledNormalizer? Precompiled { get; }

    /// <summary>Whether a WhitespaceSplit pre-tokenizer runs before Metaspace (T5's files), each word getting its own "▁".</summary>
    public bool SplitOnWhitespace { get; }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var span = text is null ? textSpan : text.AsSpan();
        var tokens = new List<EncodedToken>();
        int start = 0;
        while (start < span.Length)
        {
            int next = start + AddedTokenMatcher.FindNext(span[start..], _special, out int length, out int id);
            EncodeSegment(span[start..next], start, tokens);
            if (id < 0) break;
            tokens.Add(new EncodedToken(id, _tokens[id], next..(next + length)));
            start = next + length;
        }
        return TokenTruncation.Results(tokens, span.Length, settings.MaxTokenCount);
    }

    private void EncodeSegment(ReadOnlySpan<char> segment, int offset, List<EncodedToken> output)
    {
        if (segment.IsEmpty) return;
        // The normalizer's output, with the segment's chars each char came from.
        string text;
        int[] sourceStart, sourceEnd;
        if (Precompiled is null)
        {
            text = segment.ToString();
            sourceStart = [.. Enumerable.Range(0, text.Length)];
            sourceEnd = [.. Enumerable.Range(1, text.Length)];
        }
        else (text, sourceStart, sourceEnd) = Precompiled.Normalize(segment);
        if (!SplitOnWhitespace)
        {
            Metaspace(text, sourceStart, sourceEnd, offset, output);
            return;
        }
        // WhitespaceSplit: each run of non-whitespace is a word of its own (and gets its own "▁").
        for (int i = 0; i < text.Length;)
        {
            if (char.IsWhiteSpace(text[i])) { i++; continue; }
            int end = i;
            while (end < text.Length && !char.IsWhiteSpace(text[end])) end++;
            Metaspace(text[i..end], sourceStart[i..end], sourceEnd[i..end], offset, output);
            i = end;
        }
    }

    /// <summary>Metaspace: ' ' → '▁', then "▁" prepended unless already there; split before each "▁"; Viterbi per word.</summary>
    private void Metaspace(string segment, int[] segmentStart, int[] segmentEnd, int offset, List<EncodedToken> output)
    {
        if (segment.Length == 0) return;
        int shift = segment[0] is ' ' or Space ? 0 : 1;
        var text = new StringBuilder(segment.Length + 1);
        if (shift == 1) text.Append(Space);
        foreach (char c in segment) text.Append(c == ' ' ? Space : c);
        var normalized = text.ToString();
        var sourceStart = new int[normalized.Length];
        var sourceEnd = new int[normalized.Length];
        for (int i = 0; i < normalized.Length; i++)
            (sourceStart[i], sourceEnd[i]) = i < shift ? (segmentStart[0], segmentStart[0]) : (segmentStart[i - shift], segmentEnd[i - shift]);
        int wordStart = 0;
        for (int i = 1; i <= normalized.Length; i++)
        {
            if (i < normalized.Length && normalized[i] != Space) continue;
            Viterbi(normalized.AsSpan(wordStart, i - wordStart), sourceStart.AsSpan(wordStart), sourceEnd.AsSpan(wordStart), offset, output);
            wordStart = i;
        }
    }

    private void Viterbi(ReadOnlySpan<char> word, ReadOnlySpan<int> sourceStart, ReadOnlySpan<int> sourceEnd, int offset, List<EncodedToken> output)
    {
        var pieces = new List<(int Id, int Start, int End)>();
        Segment(word, pieces);
        foreach (var (id, start, end) in pieces)
        {
            int s = offset + sourceStart[start];
            output.Add(new EncodedToken(id, _tokens[id], s..Math.Max(s, offset + sourceEnd[end - 1])));
        }
    }

    /// <summary>The best segmentation of one word as (id, start, end) within it, consecutive unknowns fused.</summary>
    internal void Segment(ReadOnlySpan<char> word, List<(int Id, int Start, int End)> output)
    {
        // best[i]: score of the best segmentation of word[..i]; from[i]: where its last piece starts; piece[i]: its id.
        int n = word.Length;
        var best = new double[n + 1];
        var from = new int[n + 1];
        var piece = new int[n + 1];
        Array.Fill(from, -1);
        from[0] = 0;
        for (int start = 0; start < n; start++)
        {
            if (from[start] < 0) continue;
            int charLength = char.IsHighSurrogate(word[start]) && start + 1 < n && char.IsLowSurrogate(word[start + 1]) ? 2 : 1;
            bool single = false;
            for (int end = start + 1; end <= Math.Min(n, start + _maxPieceLength); end++)
            {
                if (end < n && char.IsLowSurrogate(word[end]) && char.IsHighSurrogate(word[end - 1])) continue;
                if (!_lookup.TryGetValue(word[start..end], out int id)) continue;
                if (end - start == charLength) single = true;
                double score = best[start] + _scores[id];
                if (from[end] < 0 || score > best[end]) { best[end] = score; from[end] = start; piece[end] = id; }
            }
            if (!single)
            {
                int end = start + charLength;
                double score = best[start] + _unknownScore;
                if (from[end] < 0 || score > best[end]) { best[end] = score; from[end] = start; piece[end] = _unknownId; }
            }
        }
        var pieces = new List<(int Id, int Start, int End)>();
        for (int end = n; end > 0; end = from[end]) pieces.Add((piece[end], from[end], end));
        pieces.Reverse();
        int first = output.Count;
        foreach (var (id, start, end) in pieces)
            if (id == _unknownId && output.Count > first && output[^1].Id == _unknownId) output[^1] = (id, output[^1].Start, end);
            else output.Add((id, start, end));
    }

    /// <summary>Metaspace decoding: special tokens skipped, "▁" → " ", the leading space dropped.</summary>
    public override string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is not in the vocabulary of {_tokens.Length}");
            if (_special.ContainsValue(id)) continue;
            text.Append(_tokens[id].Replace(Space, ' '));
        }
        return text.Length > 0 && text[0] == ' ' ? text.ToString(1, text.Length - 1) : text.ToString();
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        return DecodedText.CopyTo(Decode(list), list.Count, destination, out idsConsumed, out charsWritten);
    }
}
