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
        var bytes = new List<byte>(input.Length * 2);
        var byteSource = new List<(int Start, int End)>(input.Length * 2);
        Span<byte> buffer = stackalloc byte[4];
        for (int i = 0; i < input.Length;)
        {
            Rune.DecodeFromUtf16(input[i..], out var rune, out int used);
            int n = rune.EncodeToUtf8(buffer);
            for (int b = 0; b < n; b++) { bytes.Add(buffer[b]); byteSource.Add((i, i + used)); }
            i += used;
        }
        var text = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        var output = new List<byte>(text.Length + 3);
        var outputSource = new List<(int Start, int End)>(text.Length + 3);
        int position = 0;
        if (_spec.RemoveExtraWhitespaces)
            while (position < text.Length && Prefix(text[position..], out var piece) is int length && piece.SequenceEqual(Space)) position += length;
        if (position < text.Length)
        {
            var (first, _) = byteSource[position];
            if (_spec.AddDummyPrefix) Append(_spec.EscapeWhitespaces ? Meta : Space, (first, first));
            bool previousSpace = _spec.RemoveExtraWhitespaces;
            while (position < text.Length)
            {
                int length = Prefix(text[position..], out var piece);
                if (previousSpace) while (piece.Length > 0 && piece[0] == ' ') piece = piece[1..];
                if (piece.Length > 0)
                {
                    var source = (byteSource[position].Start, byteSource[position + length - 1].End);
                    foreach (byte b in piece)
                    {
                        if (b == ' ' && _spec.EscapeWhitespaces) Append(Meta, source);
                        else { output.Add(b); outputSource.Add(source); }
                    }
                    previousSpace = piece[^1] == ' ';
                }
                position += length;
                if (!_spec.RemoveExtraWhitespaces) previousSpace = false;
            }
            if (_spec.RemoveExtraWhitespaces)
            {
                var space = _spec.EscapeWhitespaces ? Meta : Space;
                while (output.Count >= space.Length && System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output)[^space.Length..].SequenceEqual(space))
                {
                    output.RemoveRange(output.Count - space.Length, space.Length);
                    outputSource.RemoveRange(outputSource.Count - space.Length, space.Length);
                }
            }
        }
        return ToChars(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output), outputSource);

        void Append(byte[] piece, (int, int) source)
        {
            output.AddRange(piece);
            for (int k = 0; k < piece.Length; k++) outputSource.Add(source);
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

    /// <summary>Decodes normalised UTF-8 to chars, carrying each character's source range to its chars.</summary>
    private static (string, int[], int[]) ToChars(ReadOnlySpan<byte> utf8, List<(int Start, int End)> source)
    {
        var text = new StringBuilder(utf8.Length);
        var starts = new List<int>(utf8.Length);
        var ends = new List<int>(utf8.Length);
        Span<char> chars = stackalloc char[2];
        for (int i = 0; i < utf8.Length;)
        {
            Rune.DecodeFromUtf8(utf8[i..], out var rune, out int used);
            int n = rune.EncodeToUtf16(chars);
            int start = source[i].Start, end = source[i + used - 1].End;
            for (int c = 0; c < n; c++) { text.Append(chars[c]); starts.Add(start); ends.Add(end); }
            i += used;
        }
        return (text.ToString(), starts.ToArray(), ends.ToArray());
    }
}
