using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// SentencePiece-style BPE as Hugging Face runs Llama 2 / Mistral tokenizer.json files: spaces become "▁" and one "▁"
/// is prepended, merges apply by rank over characters, a character missing from the vocabulary falls back to its UTF-8
/// bytes as &lt;0xXX&gt; tokens (or to one fused unknown token), and the post-processor adds e.g. &lt;s&gt;.
/// </summary>
public sealed class SentencePieceBpeTokenizer : Tokenizer
{
    private const char Space = '\u2581';
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string[] _tokens;
    private readonly Dictionary<(int, int), (int Rank, int Merged)> _merges;
    private readonly Dictionary<string, int> _special;
    private readonly int[] _byteIds;
    private readonly int _unknownId;
    private readonly bool _fuseUnknown;
    private readonly int[] _prefix;
    private readonly int[] _suffix;
    private readonly bool _prependUnlessPresent; // Metaspace prepends only when the text does not already start with "▁"

    internal SentencePieceBpeTokenizer(string[] tokens, List<(string Left, string Right)> merges, Dictionary<string, int> special,
        string? unknownToken, bool byteFallback, bool fuseUnknown, int[] prefix, int[] suffix, bool prependSpace, bool prependUnlessPresent = false)
    {
        _prependUnlessPresent = prependUnlessPresent;
        _tokens = tokens;
        _vocabulary = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _vocabulary[tokens[i]] = i;
        _lookup = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = new Dictionary<(int, int), (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            _merges.TryAdd((_vocabulary[left], _vocabulary[right]), (rank, _vocabulary[left + right]));
        }
        _special = special;
        _byteIds = new int[256];
        for (int b = 0; b < 256; b++) _byteIds[b] = byteFallback ? _vocabulary.GetValueOrDefault($"<0x{b:X2}>", -1) : -1;
        _unknownId = unknownToken is null ? -1 : _vocabulary.GetValueOrDefault(unknownToken, -1);
        _fuseUnknown = fuseUnknown;
        _prefix = prefix;
        _suffix = suffix;
        PrependSpace = prependSpace;
    }

    /// <summary>Whether a "▁" is put before each text segment (HF's Prepend normalizer, Llama 2's legacy behaviour).</summary>
    public bool PrependSpace { get; }

    public IReadOnlyDictionary<string, int> Vocabulary => _vocabulary;

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var span = text is null ? textSpan : text.AsSpan();
        var tokens = new List<EncodedToken>();
        foreach (int id in _prefix) tokens.Add(new EncodedToken(id, _tokens[id], default));
        int start = 0;
        while (start < span.Length)
        {
            // Added tokens are matched in the raw text, leftmost then longest, and never normalised.
            int next = start + AddedTokenMatcher.FindNext(span[start..], _special, out int length, out int id);
            EncodeSegment(span[start..next], start, tokens);
            if (id < 0) break;
            tokens.Add(new EncodedToken(id, _tokens[id], next..(next + length)));
            start = next + length;
        }
        foreach (int id in _suffix) tokens.Add(new EncodedToken(id, _tokens[id], default));
        return TokenTruncation.Results(tokens, span.Length, settings.MaxTokenCount);
    }

    private void EncodeSegment(ReadOnlySpan<char> segment, int offset, List<EncodedToken> output)
    {
        if (segment.IsEmpty) return;
        // Normalise: "▁" + text with ' ' → '▁'; origin[i] is the input index of normalised char i (the "▁" maps to 0).
        bool prepend = PrependSpace && !(_prependUnlessPresent && segment[0] is ' ' or Space);
        var normalized = new StringBuilder(segment.Length + 1);
        if (prepend) normalized.Append(Space);
        foreach (char c in segment) normalized.Append(c == ' ' ? Space : c);
        var text = normalized.ToString();
        int shift = prepend ? 1 : 0;
        // Symbols: one per character (or one per byte of a character the vocabulary lacks).
        var ids = new List<int>();
        var starts = new List<int>();
        var ends = new List<int>();
        Span<byte> bytes = stackalloc byte[4];
        for (int i = 0; i < text.Length;)
        {
            int length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int from = Math.Max(0, i - shift), to = Math.Max(from, i + length - shift);
            if (_lookup.TryGetValue(text.AsSpan(i, length), out int id)) Add(id, from, to);
            else
            {
                int n = Encoding.UTF8.GetBytes(text.AsSpan(i, length), bytes);
                bool allBytes = true;
                for (int b = 0; b < n; b++) allBytes &= _byteIds[bytes[b]] >= 0;
                if (allBytes) for (int b = 0; b < n; b++) Add(_byteIds[bytes[b]], from, to);
                else if (_unknownId >= 0)
                {
                    if (_fuseUnknown && ids.Count > 0 && ids[^1] == _unknownId) ends[^1] = to;
                    else Add(_unknownId, from, to);
                }
                else throw new ArgumentException($"'{text.Substring(i, length)}' has no token and the tokenizer has no unknown token");
            }
            i += length;
        }
        // Merge the lowest-ranked adjacent pair, leftmost first, until none applies: a heap over a linked list of
        // symbols; an entry whose pair has changed since it was queued is skipped.
        int count = ids.Count;
        var next = new int[count];
        var previous = new int[count];
        var alive = new bool[count];
        for (int i = 0; i < count; i++) { next[i] = i + 1 < count ? i + 1 : -1; previous[i] = i - 1; alive[i] = true; }
        var queue = new PriorityQueue<int, (int Rank, int Position)>();
        void Queue(int left)
        {
            if (left >= 0 && next[left] >= 0 && _merges.TryGetValue((ids[left], ids[next[left]]), out var m)) queue.Enqueue(left, (m.Rank, left));
        }
        for (int i = 0; i + 1 < count; i++) Queue(i);
        while (queue.TryDequeue(out int left, out var priority))
        {
            if (!alive[left] || next[left] < 0) continue;
            int right = next[left];
            if (!_merges.TryGetValue((ids[left], ids[right]), out var merge) || merge.Rank != priority.Rank) continue;
            ids[left] = merge.Merged;
            ends[left] = ends[right];
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0) previous[next[right]] = left;
            Queue(previous[left]);
            Queue(left);
        }
        for (int i = 0; i < count; i++)
            if (alive[i]) output.Add(new EncodedToken(ids[i], _tokens[ids[i]], (offset + starts[i])..(offset + ends[i])));

        void Add(int id, int from, int to)
        {
            ids.Add(id);
            starts.Add(from);
            ends.Add(to);
        }
    }

    /// <summary>HF's decoders for these files: special tokens skipped, "▁" → " ", &lt;0xXX&gt; bytes joined as UTF-8, the first space stripped.</summary>
    public override string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        void FlushBytes()
        {
            if (bytes.Count == 0) return;
            text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is not in the vocabulary of {_tokens.Length}");
            var token = _tokens[id];
            if (_special.ContainsValue(id)) continue;
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                && byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b) && _byteIds[b] == id)
            {
                bytes.Add(b);
                continue;
            }
            FlushBytes();
            text.Append(token.Replace(Space, ' '));
        }
        FlushBytes();
        return text.Length > 0 && text[0] == ' ' ? text.ToString(1, text.Length - 1) : text.ToString();
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        return DecodedText.CopyTo(Decode(list), list.Count, destination, out idsConsumed, out charsWritten);
    }
}
