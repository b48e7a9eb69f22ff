using System.Text;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// Unicode NFC (canonical decomposition, canonical ordering, canonical composition) from generated tables, because Loom
/// runs with InvariantGlobalization, where <see cref="string.Normalize()"/> is unavailable. Hugging Face's "NFC"
/// normalizer (Qwen2's tokenizer.json), whose tables are Unicode 9.0: later characters are left alone, as it leaves them.
/// A lone surrogate is left as it is. Added tokens are kept out of it, as HF matches them before normalising: the text
/// between them is normalised piece by piece (so a mark after "&lt;|endoftext|&gt;" does not compose with its "&gt;").
/// </summary>
public sealed class NfcNormalizer : Normalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;
    private static readonly Dictionary<long, int> Composites = BuildComposites();

    private readonly System.Text.RegularExpressions.Regex? _addedTokens;

    /// <param name="addedTokens">Tokens matched in the raw text, left out of normalisation.</param>
    public NfcNormalizer(IEnumerable<string>? addedTokens = null)
    {
        var tokens = addedTokens?.Where(t => t.Length > 0).OrderByDescending(t => t.Length).ToList() ?? [];
        if (tokens.Count > 0) _addedTokens = new System.Text.RegularExpressions.Regex(string.Join('|', tokens.Select(System.Text.RegularExpressions.Regex.Escape)));
    }

    public override string Normalize(string original)
    {
        if (_addedTokens is null) return NormalizePiece(original);
        var text = new StringBuilder(original.Length);
        int start = 0;
        foreach (System.Text.RegularExpressions.Match match in _addedTokens.Matches(original))
        {
            text.Append(NormalizePiece(original.AsSpan(start, match.Index - start))).Append(match.Value);
            start = match.Index + match.Length;
        }
        return text.Append(NormalizePiece(original.AsSpan(start))).ToString();
    }

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    private static string NormalizePiece(ReadOnlySpan<char> original)
    {
        // Below U+00C0 nothing decomposes, combines or composes.
        int i = 0;
        while (i < original.Length && original[i] < '\u00C0') i++;
        if (i == original.Length) return original.ToString();
        var codePoints = new List<int>(original.Length + 8);
        for (int k = 0; k < original.Length; k++)
        {
            int cp = char.IsHighSurrogate(original[k]) && k + 1 < original.Length && char.IsLowSurrogate(original[k + 1])
                ? char.ConvertToUtf32(original[k], original[++k]) : original[k];
            Decompose(cp, codePoints);
        }
        Reorder(codePoints);
        Compose(codePoints);
        var text = new StringBuilder(codePoints.Count);
        foreach (int cp in codePoints)
            if (cp is >= 0xD800 and <= 0xDFFF) text.Append((char)cp);
            else text.Append(char.ConvertFromUtf32(cp));
        return text.ToString();
    }

    internal static void Decompose(int cp, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            int s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        int index = Array.BinarySearch(NfcTables.DecomposedCodePoints, cp);
        if (index < 0) { output.Add(cp); return; }
        for (int d = NfcTables.DecompositionStarts[index]; d < NfcTables.DecompositionStarts[index + 1]; d++) output.Add(NfcTables.DecompositionData[d]);
    }

    private static int CombiningClass(int cp)
    {
        int index = Array.BinarySearch(NfcTables.CombiningCodePoints, cp);
        return index < 0 ? 0 : NfcTables.CombiningClasses[index];
    }

    /// <summary>Stable sort of each run of non-starters by combining class.</summary>
    internal static void Reorder(List<int> codePoints)
    {
        for (int i = 1; i < codePoints.Count; i++)
        {
            int cc = CombiningClass(codePoints[i]);
            if (cc == 0) continue;
            for (int j = i; j > 0 && CombiningClass(codePoints[j - 1]) > cc; j--)
                (codePoints[j - 1], codePoints[j]) = (codePoints[j], codePoints[j - 1]);
        }
    }

    /// <summary>Each character joins the last starter when nothing between blocks it (a starter, or an equal or higher class).</summary>
    internal static void Compose(List<int> codePoints)
    {
        int starter = -1, lastClass = 0, write = 0;
        for (int read = 0; read < codePoints.Count; read++)
        {
            int cp = codePoints[read], cc = CombiningClass(cp);
            bool adjacent = starter == write - 1;
            if (starter >= 0 && (adjacent || (lastClass != 0 && lastClass < cc)) && TryCompose(codePoints[starter], cp, out int composite))
            {
                codePoints[starter] = composite;
                continue;
            }
            codePoints[write++] = cp;
            if (cc == 0) starter = write - 1;
            lastClass = cc;
        }
        codePoints.RemoveRange(write, codePoints.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + second - VBase) * TCount;
            return true;
        }
        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            composite = first + second - TBase;
            return true;
        }
        return Composites.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static Dictionary<long, int> BuildComposites()
    {
        var table = NfcTables.Compositions;
        var map = new Dictionary<long, int>(table.Length / 3);
        for (int i = 0; i < table.Length; i += 3) map[((long)table[i] << 21) | (uint)table[i + 1]] = table[i + 2];
        return map;
    }
}
