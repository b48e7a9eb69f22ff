using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// SentencePiece BPE driven by piece scores, as llama.cpp tokenizes GGUF "llama" vocabularies (Llama 2, Mistral,
/// TinyLlama …): spaces become "▁" and a "▁" goes before the text and after each special token (add_space_prefix);
/// adjacent pieces whose concatenation is in the vocabulary merge, highest score first, leftmost on ties; a character
/// left unmerged and missing from the vocabulary becomes its UTF-8 bytes as &lt;0xXX&gt; tokens; BOS/EOS are added as the
/// file declares. Control, user-defined and unknown tokens written in the text are matched whole, longest first.
/// </summary>
public sealed class SentencePieceScoreTokenizer : Tokenizer
{
    private const char Space = '\u2581';
    private readonly string[] _tokens;
    private readonly float[] _scores;
    private readonly GgufTokenType[] _types;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int[] _byteIds;
    private readonly int[] _byteTokenValue; // id → byte for <0xXX> tokens, else -1
    private readonly int[] _special; // matched in the text, longest first
    private readonly int _unknownId;
    private readonly int? _bos, _eos;
    private readonly bool _addSpacePrefix;

    /// <param name="tokens">The pieces by id, distinct.</param>
    /// <param name="scores">One score per piece: higher merges first.</param>
    /// <param name="types">One type per piece (GGUF token types).</param>
    /// <param name="bos">Added at the start of every encoding, when given.</param>
    /// <param name="eos">Added at the end of every encoding, when given.</param>
    internal SentencePieceScoreTokenizer(string[] tokens, float[] scores, GgufTokenType[] types, int unknownId, int? bos, int? eos, bool addSpacePrefix)
    {
        _tokens = tokens;
        _scores = scores;
        _types = types;
        var vocabulary = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) vocabulary[tokens[i]] = i;
        _lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _byteIds = new int[256];
        _byteTokenValue = new int[tokens.Length];
        Array.Fill(_byteTokenValue, -1);
        for (int b = 0; b < 256; b++)
        {
            _byteIds[b] = vocabulary.GetValueOrDefault($"<0x{b:X2}>", -1);
            if (_byteIds[b] >= 0 && types[_byteIds[b]] == GgufTokenType.Byte) _byteTokenValue[_byteIds[b]] = b;
        }
        _special = [.. Enumerable.Range(0, tokens.Length)
            .Where(i => types[i] is GgufTokenType.Control or GgufTokenType.UserDefined or GgufTokenType.Unknown && tokens[i].Length > 0)
            .OrderByDescending(i => tokens[i].Length).ThenBy(i => i)];
        _unknownId = unknownId;
        _bos = bos;
        _eos = eos;
        _addSpacePrefix = addSpacePrefix;
    }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var input = text ?? textSpan.ToString();
        var tokens = new List<EncodedToken>();
        if (_bos is int bos) tokens.Add(new EncodedToken(bos, _tokens[bos], default));
        bool afterSpecial = true;
        foreach (var (start, length, id) in Fragments(input))
        {
            if (id >= 0)
            {
                tokens.Add(new EncodedToken(id, _tokens[id], start..(start + length)));
                afterSpecial = true;
            }
            else if (length > 0)
            {
                EncodeText(input.AsSpan(start, length), start, _addSpacePrefix && afterSpecial, tokens);
                afterSpecial = false;
            }
        }
        if (_eos is int eos) tokens.Add(new EncodedToken(eos, _tokens[eos], default));
        return TokenTruncation.Results(tokens, input.Length, settings.MaxTokenCount);
    }

    /// <summary>Splits the text at special tokens, each token in turn (longest first) over the text fragments left.</summary>
    private List<(int Start, int Length, int Id)> Fragments(string text)
    {
        var fragments = new List<(int Start, int Length, int Id)> { (0, text.Length, -1) };
        foreach (int special in _special)
        {
            var token = _tokens[special];
            if (!text.Contains(token, StringComparison.Ordinal)) continue;
            var split = new List<(int, int, int)>(fragments.Count);
            foreach (var (start, length, id) in fragments)
            {
                if (id >= 0) { split.Add((start, length, id)); continue; }
                int from = start, end = start + length;
                for (int at; from < end && (at = text.IndexOf(token, from, end - from, StringComparison.Ordinal)) >= 0; from = at + token.Length)
                {
                    if (at > from) split.Add((from, at - from, -1));
                    split.Add((at, token.Length, special));
                }
                if (from < end) split.Add((from, end - from, -1));
            }
            fragments = split;
        }
        return fragments;
    }

    private void EncodeText(ReadOnlySpan<char> fragment, int offset, bool prefixSpace, List<EncodedToken> output)
    {
        // Symbols: one per code point of "▁"-escaped text; origin offsets map back into the input (the prefix to 0..0).
        var text = new StringBuilder(fragment.Length + 1);
        if (prefixSpace) text.Append(Space);
        foreach (char c in fragment) text.Append(c == ' ' ? Space : c);
        var escaped = text.ToString();
        int shift = prefixSpace ? 1 : 0, n = 0;
        var starts = new int[escaped.Length];
        var lengths = new int[escaped.Length];
        for (int i = 0; i < escaped.Length; n++)
        {
            int length = char.IsHighSurrogate(escaped[i]) && i + 1 < escaped.Length && char.IsLowSurrogate(escaped[i + 1]) ? 2 : 1;
            (starts[n], lengths[n]) = (i, length);
            i += length;
        }
        var next = new int[n];
        var previous = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; previous[i] = i - 1; }
        // Highest score first, then the leftmost; an entry whose symbols have changed since it was queued is skipped.
        var queue = new PriorityQueue<(int Left, int Length), (float Score, int Left)>(Comparer<(float Score, int Left)>.Create(
            (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void TryQueue(int left)
        {
            if (left < 0 || next[left] < 0) return;
            int right = next[left], length = lengths[left] + lengths[right];
            if (_lookup.TryGetValue(escaped.AsSpan(starts[left], length), out int id)) queue.Enqueue((left, length), (_scores[id], left));
        }
        for (int i = 0; i + 1 < n; i++) TryQueue(i);
        while (queue.TryDequeue(out var pair, out _))
        {
            int left = pair.Left, right = next[left];
            if (lengths[left] == 0 || right < 0 || lengths[left] + lengths[right] != pair.Length) continue;
            lengths[left] += lengths[right];
            lengths[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) previous[next[right]] = left;
            TryQueue(previous[left]);
            TryQueue(left);
        }
        Span<byte> bytes = stackalloc byte[4];
        for (int i = 0; i >= 0 && n > 0; i = next[i])
        {
            var piece = escaped.AsSpan(starts[i], lengths[i]);
            int from = offset + Math.Max(0, starts[i] - shift), to = offset + Math.Max(0, starts[i] + lengths[i] - shift);
            if (_lookup.TryGetValue(piece, out int id)) { output.Add(new EncodedToken(id, _tokens[id], from..to)); continue; }
            // Only single characters reach here (merged pieces are in the vocabulary by construction).
            int count = Encoding.UTF8.GetBytes(piece, bytes);
            for (int b = 0; b < count; b++)
            {
                int byteId = _byteIds[bytes[b]] >= 0 ? _byteIds[bytes[b]] : _unknownId;
                if (byteId < 0) throw new ArgumentException($"'{piece}' has no token, no byte token and the vocabulary has no unknown token");
                output.Add(new EncodedToken(byteId, _tokens[byteId], from..to));
            }
        }
    }

    /// <summary>
    /// As llama.cpp detokenizes: control and unknown tokens are skipped, "▁" → " ", &lt;0xXX&gt; bytes are joined as UTF-8,
    /// and the space the prefix added before the first piece is removed.
    /// </summary>
    public override string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is not in the vocabulary of {_tokens.Length}");
            if (_byteTokenValue[id] >= 0) bytes.Add((byte)_byteTokenValue[id]);
            else if (_types[id] is GgufTokenType.Normal or GgufTokenType.UserDefined) bytes.AddRange(Encoding.UTF8.GetBytes(_tokens[id].Replace(Space, ' ')));
        }
        var text = Encoding.UTF8.GetString(bytes.ToArray());
        return _addSpacePrefix && text.StartsWith(' ') ? text[1..] : text;
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        return DecodedText.CopyTo(Decode(list), list.Count, destination, out idsConsumed, out charsWritten);
    }
}
