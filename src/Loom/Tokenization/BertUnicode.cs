using System.Text;

namespace Loom.Tokenization;

/// <summary>
/// The character classes Hugging Face's BertNormalizer and BertPreTokenizer use, from fixed Unicode tables
/// (BertUnicodeTables.cs) rather than the runtime's: Loom runs without ICU, and HF's classes are not .NET's
/// (its "punctuation" includes every ASCII symbol such as $ + &lt; = &gt; ^ ` | ~; its "control" includes Cf and Co). HF's categories are Unicode 8.0's: later characters belong to none of them.
/// </summary>
internal static partial class BertUnicode
{
    [Flags]
    private enum Class : byte
    {
        None = 0,
        Other = 1,
        Punctuation = 2,
        NonSpacingMark = 4,
        Whitespace = 8,
        Chinese = 16,
        Decomposes = 32,
    }

    // Built on first use, after the generated range tables (static initialisers of partial files run in no set order).
    private static Class[] Bmp => Cache.Bmp;

    private static class Cache
    {
        public static readonly Class[] Bmp = BuildBmp();
        public static readonly Dictionary<int, string> Stripped = StrippedDecompositions.ToDictionary(e => e.CodePoint, e => e.Stripped);
    }

    /// <summary>Removed by clean_text: NUL, U+FFFD and categories Cc, Cf, Cs, Co (Unicode 8.0) except tab, LF, CR.</summary>
    public static bool IsControl(int cp) => cp == 0 || cp == 0xFFFD || Has(cp, Class.Other, OtherRanges);

    /// <summary>Rust's char::is_whitespace (Unicode White_Space) — tab, LF and CR included.</summary>
    public static bool IsWhitespace(int cp) => cp < 0x10000 ? (Bmp[cp] & Class.Whitespace) != 0 : false;

    /// <summary>BERT punctuation: any ASCII punctuation or symbol, or a character of category P*.</summary>
    public static bool IsPunctuation(int cp) =>
        cp < 0x80 ? IsAsciiPunctuation(cp) : Has(cp, Class.Punctuation, PunctuationRanges);

    public static bool IsNonSpacingMark(int cp) => Has(cp, Class.NonSpacingMark, NonSpacingMarkRanges);

    /// <summary>
    /// The CJK ideograph blocks that BERT surrounds with spaces (not Hiragana, Katakana or Hangul). As in HF (and
    /// Google's BERT), Extension E is given as from U+2B920, leaving U+2B820–U+2B91F out.
    /// </summary>
    public static bool IsChinese(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    /// <summary>
    /// Appends the canonical decomposition of <paramref name="cp"/> without its non-spacing marks (NFD, then drop Mn),
    /// which is what HF's strip_accents does per character.
    /// </summary>
    public static void AppendStripped(int cp, StringBuilder output, List<int> origins, int origin)
    {
        if (cp is >= 0xAC00 and <= 0xD7A3)
        {
            // Hangul syllables decompose algorithmically into two or three conjoining jamo.
            int s = cp - 0xAC00;
            Append(0x1100 + s / 588, output, origins, origin);
            Append(0x1161 + s % 588 / 28, output, origins, origin);
            if (s % 28 != 0) Append(0x11A7 + s % 28, output, origins, origin);
            return;
        }
        if (cp < 0x10000 && (Bmp[cp] & Class.Decomposes) == 0 && (Bmp[cp] & Class.NonSpacingMark) == 0)
        {
            Append(cp, output, origins, origin);
            return;
        }
        if (IsNonSpacingMark(cp)) return;
        if (Cache.Stripped.TryGetValue(cp, out var replacement))
        {
            foreach (char c in replacement)
            {
                output.Append(c);
                origins.Add(origin);
            }
            return;
        }
        Append(cp, output, origins, origin);
    }

    public static void Append(int cp, StringBuilder output, List<int> origins, int origin)
    {
        if (cp < 0x10000)
        {
            output.Append((char)cp);
            origins.Add(origin);
        }
        else
        {
            output.Append(char.ConvertFromUtf32(cp));
            origins.Add(origin);
            origins.Add(origin);
        }
    }

    private static bool IsAsciiPunctuation(int cp) =>
        cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126);

    private static bool Has(int cp, Class flag, int[] ranges) =>
        cp < 0x10000 ? (Bmp[cp] & flag) != 0 : InRanges(cp, ranges);

    private static bool InRanges(int cp, int[] ranges)
    {
        int lo = 0, hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    private static Class[] BuildBmp()
    {
        var table = new Class[0x10000];
        Mark(table, OtherRanges, Class.Other);
        Mark(table, PunctuationRanges, Class.Punctuation);
        Mark(table, NonSpacingMarkRanges, Class.NonSpacingMark);
        foreach (var (cp, _) in StrippedDecompositions)
            if (cp < 0x10000) table[cp] |= Class.Decomposes;
        for (int cp = 0xAC00; cp <= 0xD7A3; cp++) table[cp] |= Class.Decomposes;
        foreach (int cp in (int[])[9, 10, 11, 12, 13, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
            table[cp] |= Class.Whitespace;
        for (int cp = 0x2000; cp <= 0x200A; cp++) table[cp] |= Class.Whitespace;
        return table;
    }

    private static void Mark(Class[] table, int[] ranges, Class flag)
    {
        for (int i = 0; i < ranges.Length; i += 2)
            for (int cp = ranges[i]; cp <= Math.Min(ranges[i + 1], 0xFFFF); cp++)
                table[cp] |= flag;
    }
}
