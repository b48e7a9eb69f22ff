using System.Globalization;
using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Normalizers "NFD", "NFKD", "NFC", "NFKC" by .NET's (ICU's) normalization. The text is normalized in clusters (a
/// code point with the marks and Hangul jamo that follow it), so each output char keeps the span of its cluster;
/// a cluster the form leaves unchanged keeps its chars' own spans. HF's tables are older (Unicode 9-era): characters
/// assigned since may normalize differently.
/// </summary>
internal sealed class UnicodeFormNormalizer(NormalizationForm form) : INormalizerStage
{
    public NormalizedText Apply(NormalizedText text)
    {
        if (text.Text.IsNormalized(form)) return text;
        var output = new NormalizedText.Builder();
        for (int i = 0; i < text.Length;)
        {
            int end = i + RuneLength(text.Text, i);
            while (end < text.Length && Continues(text.Text, end)) end += RuneLength(text.Text, end);
            var cluster = text.Text[i..end];
            string normalized;
            try { normalized = cluster.Normalize(form); }
            catch (ArgumentException) { normalized = cluster; } // lone surrogates: left as they are
            if (normalized == cluster) output.Copy(text, i, end);
            else
            {
                var source = text.Source(i, end);
                output.Append(normalized, source.Start.Value, source.End.Value);
            }
            i = end;
        }
        return output.Build();
    }

    private static int RuneLength(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;

    // Marks and conjoining jamo (which compose with what precedes them).
    private static bool Continues(string text, int i)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out _) != System.Buffers.OperationStatus.Done) return false;
        return rune.Value is >= 0x1160 and <= 0x11FF || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
    }
}
