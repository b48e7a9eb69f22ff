using System.Buffers;
using System.Text;

namespace Loom.Tokenization;

/// <summary>
/// sentencepiece's normalizer over UTF-8: at each position a user-defined piece (longest) is kept as written, else the
/// character map's longest rewrite applies, else one character passes through (invalid UTF-8 becomes U+FFFD);
/// leading, trailing and repeated spaces are dropped (remove_extra_whitespaces), a "▁" is put in front
/// (add_dummy_prefix) and spaces become "▁" (escape_whitespaces).
/// </summary>
internal sealed class SentencePieceNormalizer
{
    private static readonly byte[] Space = [(byte)' '];
    private static readonly byte[] Meta = "\u2581"u8.ToArray();
    private static readonly byte[] Replacement = "\uFFFD"u8.ToArray();
    private readonly SentencePieceNormalizerSpec _spec;
    private readonly byte[][][] _userDefined; // by first byte, longest first

    public SentencePieceNormalizer(SentencePieceNormalizerSpec spec, IEnumerable<string> userDefined)
    {
        _spec = spec;
        _userDefined = new byte[256][][];
        foreach (var group in userDefined.Select(Encoding.UTF8.GetBytes).GroupBy(b => b[0]))
            _userDefined[group.Key] = [.. group.OrderByDescending(b => b.Length)];
    }

    /// <summary>The normalised text, and for each of its chars the range of input chars it came from.</summary>
    public (string Text, int[] SourceStart, int[] SourceEnd) Normalize(ReadOnlySpan<char> input)
    {
        // UTF-8 bytes, each with the input char range of the character it encodes (lone surrogates become U+FFFD).
        int capacity = input.Length * 3;
        var text = ArrayPool<byte>.Shared.Rent(capacity);
        var textStart = ArrayPool<int>.Shared.Rent(capacity);
        var textEnd = ArrayPool<int>.Shared.Rent(capacity);
        var output = new Output(capacity + 3);
        try
        {
            int length = 0;
            for (int i = 0; i < input.Length;)
            {
                int used = 1;
                if (input[i] < 0x80) text[length++] = (byte)input[i];
                else
                {
                    Rune.DecodeFromUtf16(input[i..], out var rune, out used);
                    int n = rune.EncodeToUtf8(text.AsSpan(length));
                    for (int b = 0; b < n; b++) (textStart[length + b], textEnd[length + b]) = (i, i + used);
                    length += n;
                    i += used;
                    continue;
                }
                (textStart[length - 1], textEnd[length - 1]) = (i, i + 1);
                i += used;
            }
            Normalize(text.AsSpan(0, length), textStart, textEnd, ref output);
            return output.ToChars();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
            ArrayPool<int>.Shared.Return(textStart);
            ArrayPool<int>.Shared.Return(textEnd);
        }
    }

    private void Normalize(ReadOnlySpan<byte> text, int[] textStart, int[] textEnd, ref Output output)
    {
        int position = 0;
        if (_spec.RemoveExtraWhitespaces)
            while (position < text.Length && Prefix(text[position..], out var piece) is int length && piece.SequenceEqual(Space)) position += length;
        if (position == text.Length) return;
        int first = textStart[position];
        if (_spec.AddDummyPrefix) output.Append(_spec.EscapeWhitespaces ? Meta : Space, first, first);
        bool previousSpace = _spec.RemoveExtraWhitespaces;
        while (position < text.Length)
        {
            int length = Prefix(text[position..], out var piece);
            if (previousSpace) while (piece.Length > 0 && piece[0] == ' ') piece = piece[1..];
            if (piece.Length > 0)
            {
                int from = textStart[position], to = textEnd[position + length - 1];
                foreach (byte b in piece)
                {
                    if (b == ' ' && _spec.EscapeWhitespaces) output.Append(Meta, from, to);
                    else output.Append(b, from, to);
                }
                previousSpace = piece[^1] == ' ';
            }
            position += length;
            if (!_spec.RemoveExtraWhitespaces) previousSpace = false;
        }
        if (_spec.RemoveExtraWhitespaces) output.TrimEnd(_spec.EscapeWhitespaces ? Meta : Space);
    }

    /// <summary>Normalised UTF-8 bytes, each with the input char range it came from.</summary>
    private struct Output(int capacity)
    {
        private byte[] _bytes = new byte[capacity];
        private int[] _start = new int[capacity], _end = new int[capacity];
        private int _count;

        public void Append(byte b, int from, int to)
        {
            if (_count == _bytes.Length)
            {
                Array.Resize(ref _bytes, _count * 2 + 8);
                Array.Resize(ref _start, _bytes.Length);
                Array.Resize(ref _end, _bytes.Length);
            }
            (_bytes[_count], _start[_count], _end[_count]) = (b, from, to);
            _count++;
        }

        public void Append(ReadOnlySpan<byte> bytes, int from, int to)
        {
            foreach (byte b in bytes) Append(b, from, to);
        }

        public void TrimEnd(ReadOnlySpan<byte> suffix)
        {
            while (_count >= suffix.Length && _bytes.AsSpan(_count - suffix.Length, suffix.Length).SequenceEqual(suffix)) _count -= suffix.Length;
        }

        /// <summary>Decodes to chars, carrying each character's source range to its chars.</summary>
        public readonly (string, int[], int[]) ToChars()
        {
            var chars = new char[_count];
            var starts = new int[_count];
            var ends = new int[_count];
            int n = 0;
            for (int i = 0; i < _count;)
            {
                int used = 1;
                if (_bytes[i] < 0x80) chars[n] = (char)_bytes[i];
                else
                {
                    Rune.DecodeFromUtf8(_bytes.AsSpan(i, _count - i), out var rune, out used);
                    int written = rune.EncodeToUtf16(chars.AsSpan(n));
                    for (int c = 0; c < written; c++) (starts[n + c], ends[n + c]) = (_start[i], _end[i + used - 1]);
                    n += written;
                    i += used;
                    continue;
                }
                (starts[n], ends[n]) = (_start[i], _end[i]);
                n++;
                i += used;
            }
            return (new string(chars, 0, n), starts[..n], ends[..n]);
        }
    }

    /// <summary>sentencepiece's NormalizePrefix: the rewrite of the start of <paramref name="text"/> and how many bytes it consumes.</summary>
    private int Prefix(ReadOnlySpan<byte> text, out ReadOnlySpan<byte> piece)
    {
        if (_userDefined[text[0]] is { } candidates)
            foreach (var candidate in candidates)
                if (text.StartsWith(candidate)) { piece = text[..candidate.Length]; return candidate.Length; }
        if (_spec.CharsMap is { } map && map.MatchLongest(text, out piece) is > 0 and int matched) return matched;
        if (Rune.DecodeFromUtf8(text, out _, out int length) != System.Buffers.OperationStatus.Done) { piece = Replacement; return 1; }
        piece = text[..length];
        return length;
    }
}
