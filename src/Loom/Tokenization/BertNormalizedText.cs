using System.Text;

namespace Loom.Tokenization;

/// <summary>
/// Text after Hugging Face's BertNormalizer (clean text, pad CJK ideographs with spaces, strip accents, lowercase),
/// with, for each UTF-16 unit of the result, the index in the original text of the character it came from.
/// </summary>
internal readonly struct BertNormalizedText
{
    private BertNormalizedText(string text, int[] origins)
    {
        Text = text;
        Origins = origins;
    }

    public string Text { get; }

    /// <summary>Origins[i] is the original index of the character that produced Text[i].</summary>
    public int[] Origins { get; }

    public static BertNormalizedText Normalize(ReadOnlySpan<char> original, BertTokenizerOptions options)
    {
        var output = new StringBuilder(original.Length + 8);
        var origins = new List<int>(original.Length + 8);
        bool strip = options.StripAccents ?? options.LowerCase;
        for (int i = 0; i < original.Length;)
        {
            int cp = DecodeAt(original, i, out int length);
            int origin = i;
            i += length;
            if (options.CleanText)
            {
                if (BertUnicode.IsControl(cp)) continue;
                if (BertUnicode.IsWhitespace(cp)) cp = ' ';
            }
            if (cp < 0x80)
            {
                // ASCII: nothing to strip, and lower-casing is a shift.
                if (options.LowerCase && cp is >= 'A' and <= 'Z') cp += 32;
                output.Append((char)cp);
                origins.Add(origin);
                continue;
            }
            bool pad = options.HandleChineseCharacters && BertUnicode.IsChinese(cp);
            if (pad) BertUnicode.Append(' ', output, origins, origin);
            if (strip)
            {
                int start = output.Length;
                BertUnicode.AppendStripped(cp, output, origins, origin);
                if (options.LowerCase) LowerCaseFrom(output, origins, start);
            }
            else if (options.LowerCase) AppendLower(cp, output, origins, origin);
            else BertUnicode.Append(cp, output, origins, origin);
            if (pad) BertUnicode.Append(' ', output, origins, origin);
        }
        return new BertNormalizedText(output.ToString(), origins.ToArray());
    }

    /// <summary>The code point at <paramref name="index"/>; a lone surrogate reads as U+FFFD, as it does once in UTF-8.</summary>
    public static int DecodeAt(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        length = 1;
        if (!char.IsSurrogate(c)) return c;
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }
        return 0xFFFD;
    }

    private static void LowerCaseFrom(StringBuilder output, List<int> origins, int start)
    {
        if (output.Length == start) return;
        var pieces = output.ToString(start, output.Length - start);
        var pieceOrigins = origins.GetRange(start, origins.Count - start);
        output.Length = start;
        origins.RemoveRange(start, origins.Count - start);
        for (int j = 0; j < pieces.Length;)
        {
            int cp = DecodeAt(pieces, j, out int length);
            AppendLower(cp, output, origins, pieceOrigins[j]);
            j += length;
        }
    }

    private static void AppendLower(int cp, StringBuilder output, List<int> origins, int origin)
    {
        if (cp < 0x80)
        {
            BertUnicode.Append(cp is >= 'A' and <= 'Z' ? cp + 32 : cp, output, origins, origin);
            return;
        }
        if (cp == 0x130)
        {
            // Rust's char::to_lowercase applies the full mapping: İ becomes "i" + combining dot above.
            BertUnicode.Append('i', output, origins, origin);
            BertUnicode.Append(0x307, output, origins, origin);
            return;
        }
        int lower = cp is >= 0xD800 and <= 0xDFFF ? cp : Rune.ToLowerInvariant(new Rune(cp)).Value;
        BertUnicode.Append(lower, output, origins, origin);
    }
}
