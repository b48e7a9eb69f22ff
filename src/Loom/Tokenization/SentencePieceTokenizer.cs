using System.Buffers;
using System.Text;
using Loom.Formats;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>Choices sentencepiece leaves to the caller (its encode adds neither by default; Llama 2 adds BOS).</summary>
public sealed record SentencePieceOptions
{
    public bool AddBeginningOfSentence { get; init; }
    public bool AddEndOfSentence { get; init; }
}

/// <summary>
/// A SentencePiece <c>.model</c> run as sentencepiece 0.1.97 runs it: the model's own normalizer (character map,
/// whitespace rules, user-defined pieces kept whole), then Unigram (Viterbi over the whole text with sentencepiece's
/// float scores, unknown characters scored 10 below the lowest piece, user-defined pieces always chosen) or BPE
/// (adjacent symbols merged highest score first, leftmost on ties), then unknown pieces either spelled as &lt;0xXX&gt;
/// byte pieces (byte_fallback) or fused into one unknown. Control pieces written in the text are plain text.
/// </summary>
public sealed class SentencePieceTokenizer : Tokenizer
{
    private const char Meta = '\u2581';
    private const float UnknownPenalty = 10;
    private static readonly float FloatMin = BitConverter.Int32BitsToSingle(0x00800000); // C's FLT_MIN
    private readonly SentencePieceModel _model;
    private readonly SentencePieceOptions _options;
    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly SentencePieceType[] _types;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup; // normal, user-defined, unused
    private readonly PieceTrie _trie; // the same pieces, for Viterbi
    private readonly string[] _userDefined; // longest first
    private readonly HashSet<char> _userDefinedFirstChars;
    private readonly int[] _byteIds = new int[256];
    private readonly int[] _byteValue; // id → byte of a byte piece, else −1
    private readonly float _unknownScore, _maxScore;
    private readonly bool _hasUnused; // BPE then remembers what each merge joined, to split unused pieces back
    private readonly SentencePieceNormalizer _normalizer;

    /// <exception cref="ModelFormatException">the model's pieces, ids or flags are inconsistent</exception>
    public SentencePieceTokenizer(SentencePieceModel model, SentencePieceOptions? options = null)
    {
        SentencePieceModelReader.Validate(model, null);
        _model = model;
        _options = options ?? new SentencePieceOptions();
        _pieces = [.. model.Pieces.Select(p => p.Piece)];
        _scores = [.. model.Pieces.Select(p => p.Score)];
        _types = [.. model.Pieces.Select(p => p.Type)];
        var matchable = new Dictionary<string, int>(StringComparer.Ordinal);
        float min = float.MaxValue, max = FloatMin; // as sentencepiece: max starts at FLT_MIN, so it is never below 0
        _byteValue = new int[_pieces.Length];
        Array.Fill(_byteValue, -1);
        Array.Fill(_byteIds, -1);
        for (int i = 0; i < _pieces.Length; i++)
        {
            var piece = model.Pieces[i];
            if (piece.Type is SentencePieceType.Normal or SentencePieceType.UserDefined or SentencePieceType.Unused) matchable[piece.Piece] = i;
            if (piece.Type == SentencePieceType.Normal) { min = Math.Min(min, piece.Score); max = Math.Max(max, piece.Score); }
            if (piece.Type == SentencePieceType.Byte && piece.Piece is ['<', '0', 'x', _, _, '>']
                && byte.TryParse(piece.Piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            {
                _byteIds[b] = i;
                _byteValue[i] = b;
            }
        }
        _lookup = matchable.GetAlternateLookup<ReadOnlySpan<char>>();
        _hasUnused = _types.Contains(SentencePieceType.Unused);
        _trie = new PieceTrie(matchable.Select(e => (e.Key, e.Value)));
        _userDefined = [.. model.Pieces.Where(p => p.Type == SentencePieceType.UserDefined).Select(p => p.Piece).OrderByDescending(p => p.Length)];
        _userDefinedFirstChars = [.. _userDefined.Select(p => p[0])];
        _unknownScore = (min == float.MaxValue ? 0 : min) - UnknownPenalty;
        _maxScore = max;
        _normalizer = new SentencePieceNormalizer(model.Normalizer, _userDefined);
    }

    /// <summary>Reads a <c>.model</c> file.</summary>
    /// <exception cref="ModelFormatException">the file is not a SentencePiece model Loom can use</exception>
    public static SentencePieceTokenizer FromFile(string path, SentencePieceOptions? options = null) =>
        new(SentencePieceModelReader.Read(path), options);

    public SentencePieceModel Model => _model;

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var input = text is null ? textSpan : text.AsSpan();
        var (normalized, sourceStart, sourceEnd) = _normalizer.Normalize(input);
        var pieces = _model.Algorithm == SentencePieceAlgorithm.Bpe ? Bpe(normalized) : Unigram(normalized);
        var tokens = new List<EncodedToken>(pieces.Count + 2);
        if (_options.AddBeginningOfSentence && _model.BeginningOfSentenceId >= 0) tokens.Add(Token(_model.BeginningOfSentenceId, default));
        Span<byte> bytes = stackalloc byte[4];
        int unknown = _model.UnknownId;
        foreach (var (start, end, id) in pieces)
        {
            var offset = sourceStart[start]..Math.Max(sourceStart[start], sourceEnd[end - 1]);
            if (id != unknown) tokens.Add(Token(id, offset));
            else if (_model.ByteFallback)
            {
                // The unknown piece spelled as its UTF-8 bytes.
                for (int i = start; i < end;)
                {
                    Rune.DecodeFromUtf16(normalized.AsSpan(i), out var rune, out int used);
                    int n = rune.EncodeToUtf8(bytes);
                    for (int b = 0; b < n; b++) tokens.Add(Token(_byteIds[bytes[b]], offset));
                    i += used;
                }
            }
            else if (tokens.Count > 0 && tokens[^1].Id == unknown)
                tokens[^1] = Token(unknown, tokens[^1].Offset.Start..offset.End); // a run of unknowns is one unknown
            else tokens.Add(Token(unknown, offset));
        }
        if (_options.AddEndOfSentence && _model.EndOfSentenceId >= 0) tokens.Add(Token(_model.EndOfSentenceId, default));
        return TokenTruncation.Results(tokens, input.Length, settings.MaxTokenCount);
    }

    private EncodedToken Token(int id, Range offset) => new(id, _pieces[id], offset);

    /// <summary>
    /// sentencepiece's optimised Viterbi: at each character, every piece starting there extends the best path ending
    /// there (float sums, strictly better wins, shorter pieces first); a character no single piece covers gets an
    /// unknown node. Returns (start, end, id) in normalised chars.
    /// </summary>
    private List<(int Start, int End, int Id)> Unigram(string text)
    {
        int n = text.Length;
        var score = new float[n + 1];
        var from = new int[n + 1];
        var id = new int[n + 1];
        Array.Fill(from, -1);
        for (int start = 0; start < n;)
        {
            int charLength = char.IsHighSurrogate(text[start]) && start + 1 < n && char.IsLowSurrogate(text[start + 1]) ? 2 : 1;
            float here = score[start];
            bool single = false;
            for (int end = start + 1, node = 0; end <= n && _trie.TryStep(ref node, text[end - 1]); end++)
            {
                int piece = _trie.PieceAt(node);
                if (piece < 0) continue;
                var type = _types[piece];
                if (type == SentencePieceType.Unused) continue;
                // sentencepiece's score here is a double (the user-defined branch makes the ?: double), so the sum is
                // compared in double and only stored as float: ties break the same way only if rounded the same way.
                double candidate = type == SentencePieceType.UserDefined
                    ? Encoding.UTF8.GetByteCount(text.AsSpan(start, end - start)) * _maxScore - 0.1 + here // always chosen
                    : (double)_scores[piece] + here;
                if (from[end] < 0 || candidate > score[end]) Set(end, (float)candidate, piece);
                if (end - start == charLength) single = true;
            }
            if (!single)
            {
                float candidate = _unknownScore + here;
                if (from[start + charLength] < 0 || candidate > score[start + charLength]) Set(start + charLength, candidate, _model.UnknownId);
            }
            start += charLength;

            void Set(int end, float value, int piece) { score[end] = value; from[end] = start; id[end] = piece; }
        }
        var result = new List<(int, int, int)>();
        for (int end = n; end > 0; end = from[end]) result.Add((from[end], end, id[end]));
        result.Reverse();
        return result;
    }

    /// <summary>
    /// sentencepiece's BPE: symbols are characters (a user-defined piece is one frozen symbol); the adjacent pair whose
    /// concatenation is a piece with the highest score merges, leftmost on ties, until none does; an unused piece made
    /// by a merge is split back into the pieces it was made of.
    /// </summary>
    private List<(int Start, int End, int Id)> Bpe(string text)
    {
        var starts = new int[text.Length];
        var lengths = new int[text.Length];
        var frozen = new bool[text.Length];
        int n = 0;
        for (int i = 0; i < text.Length; n++)
        {
            int length = 0;
            if (_userDefinedFirstChars.Contains(text[i]))
                foreach (var piece in _userDefined)
                    if (text.AsSpan(i).StartsWith(piece, StringComparison.Ordinal)) { length = piece.Length; break; }
            frozen[n] = length > 0;
            if (length == 0) length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            starts[n] = i;
            lengths[n] = length;
            i += length;
        }
        var next = new int[n];
        var previous = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; previous[i] = i - 1; }
        var madeOf = new Dictionary<(int Start, int Length), (int LeftLength, int RightLength)>();
        var queue = new PriorityQueue<(int Left, int Length), (float Score, int Left)>(Comparer<(float Score, int Left)>.Create(
            (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void TryQueue(int left)
        {
            if (left < 0 || next[left] < 0 || frozen[left] || frozen[next[left]]) return;
            int length = lengths[left] + lengths[next[left]];
            if (_lookup.TryGetValue(text.AsSpan(starts[left], length), out int id)) queue.Enqueue((left, length), (_scores[id], left));
        }
        for (int i = 0; i + 1 < n; i++) TryQueue(i);
        while (queue.TryDequeue(out var pair, out _))
        {
            int left = pair.Left, right = next[left];
            if (lengths[left] == 0 || right < 0 || lengths[left] + lengths[right] != pair.Length) continue; // stale
            if (_hasUnused) madeOf[(starts[left], pair.Length)] = (lengths[left], lengths[right]);
            lengths[left] = pair.Length;
            lengths[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) previous[next[right]] = left;
            TryQueue(previous[left]);
            TryQueue(left);
        }
        var result = new List<(int, int, int)>();
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) Resegment(starts[i], lengths[i]);
        return result;

        void Resegment(int start, int length)
        {
            bool known = _lookup.TryGetValue(text.AsSpan(start, length), out int id);
            if (known && _types[id] == SentencePieceType.Unused && madeOf.TryGetValue((start, length), out var parts))
            {
                Resegment(start, parts.LeftLength);
                Resegment(start + parts.LeftLength, parts.RightLength);
            }
            else result.Add((start, start + length, known ? id : _model.UnknownId));
        }
    }

    /// <summary>
    /// As sentencepiece decodes: control pieces vanish, the unknown piece reads as its surface (" ⁇ "), runs of byte
    /// pieces are UTF-8 (each invalid byte one U+FFFD), "▁" is a space, and the "▁" the normalizer put first is dropped:
    /// from the first piece, or, when extra whitespace is removed, from every piece until one leaves text.
    /// </summary>
    public override string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        bool atStart = true;
        var spec = _model.Normalizer;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_pieces.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is not in the vocabulary of {_pieces.Length}");
            if (_byteValue[id] >= 0) { bytes.Add((byte)_byteValue[id]); continue; }
            Append(FlushBytes(), false);
            var piece = _pieces[id];
            bool dropSpace = atStart && (spec.AddDummyPrefix || spec.RemoveExtraWhitespaces) && piece[0] == Meta
                && _model.Pieces[id].Type is not (SentencePieceType.Control or SentencePieceType.Unknown);
            Append(_model.Pieces[id].Type switch
            {
                SentencePieceType.Control => "",
                SentencePieceType.Unknown => _model.UnknownSurface,
                _ => (dropSpace ? piece[1..] : piece).Replace(Meta, ' '),
            }, dropSpace && !spec.RemoveExtraWhitespaces);
        }
        Append(FlushBytes(), false);
        return text.ToString();

        void Append(string surface, bool droppedSpace)
        {
            text.Append(surface);
            if (surface.Length > 0 || droppedSpace) atStart = false;
        }

        string FlushBytes()
        {
            var utf8 = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
            var surface = new StringBuilder();
            for (int i = 0; i < utf8.Length;)
            {
                if (Rune.DecodeFromUtf8(utf8[i..], out var rune, out int used) == OperationStatus.Done) { surface.Append(rune.ToString()); i += used; }
                else { surface.Append('\uFFFD'); i++; }
            }
            bytes.Clear();
            return surface.ToString();
        }
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        return DecodedText.CopyTo(Decode(list), list.Count, destination, out idsConsumed, out charsWritten);
    }
}
