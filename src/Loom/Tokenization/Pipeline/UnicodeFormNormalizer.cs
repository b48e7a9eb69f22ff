using System.Globalization;
using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Normalizers "NFD", "NFKD", "NFC", "NFKC" from Loom's Unicode 9.0 tables (<see cref="NfcTables"/>, <see cref="NfkdTables"/>),
/// the version HF tokenizers uses; Loom runs with InvariantGlobalization, so string.Normalize is not an option. The text
/// is normalized in clusters (a code point with the marks and conjoining jamo after it), each output char keeping the
/// span of its cluster; a cluster the form leaves unchanged keeps its chars' own spans. Lone surrogates pass through.
/// </summary>
internal sealed class UnicodeFormNormalizer(bool compatibility, bool compose) : INormalizerStage
{
    public NormalizedText Apply(NormalizedText text)
    {
        int first = 0;
        while (first < text.Length && text.Text[first] < '\u00A0') first++; // nothing below U+00A0 changes in any form
        if (first == text.Length) return text;
        if (first > 0) first--; // the char before may be the starter a following mark composes with
        var output = new NormalizedText.Builder();
        output.Copy(text, 0, first);
        var codePoints = new List<int>();
        var normalized = new StringBuilder();
        for (int i = first; i < text.Length;)
        {
            int end = i + RuneLength(text.Text, i);
            while (end < text.Length && Continues(text.Text, end)) end += RuneLength(text.Text, end);
            codePoints.Clear();
            for (int k = i; k < end; k += RuneLength(text.Text, k))
                Decompose(RuneLength(text.Text, k) == 2 ? char.ConvertToUtf32(text.Text[k], text.Text[k + 1]) : text.Text[k], codePoints);
            NfcNormalizer.Reorder(codePoints);
            if (compose) NfcNormalizer.Compose(codePoints);
            normalized.Clear();
            foreach (int cp in codePoints)
                if (cp is >= 0xD800 and <= 0xDFFF) normalized.Append((char)cp);
                else normalized.Append(char.ConvertFromUtf32(cp));
            if (normalized.Equals(text.Text.AsSpan(i, end - i))) output.Copy(text, i, end);
            else
            {
                var source = text.Source(i, end);
                output.Append(normalized.ToString(), source.Start.Value, source.End.Value);
            }
            i = end;
        }
        return output.Build();
    }

    private void Decompose(int cp, List<int> output)
    {
        int index = compatibility ? Array.BinarySearch(NfkdTables.DecomposedCodePoints, cp) : -1;
        if (index < 0) { NfcNormalizer.Decompose(cp, output); return; }
        for (int d = NfkdTables.DecompositionStarts[index]; d < NfkdTables.DecompositionStarts[index + 1]; d++) output.Add(NfkdTables.DecompositionData[d]);
    }

    private static int RuneLength(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;

    // Marks and conjoining vowel/trailing jamo (which compose with what precedes them).
    private static bool Continues(string text, int i)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out _) != System.Buffers.OperationStatus.Done) return false;
        return rune.Value is >= 0x1160 and <= 0x11FF || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
    }
}
