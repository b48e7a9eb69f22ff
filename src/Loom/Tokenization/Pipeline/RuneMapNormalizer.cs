using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Normalizers that map each code point on its own to zero or more chars: "Lowercase" (full lower-case mapping per
/// code point, as Rust's char::to_lowercase, so 'İ' → "i̇" and no final-sigma rule) and "StripAccents" (drops marks).
/// </summary>
internal sealed class RuneMapNormalizer : INormalizerStage
{
    private readonly Func<Rune, string> _map;

    private RuneMapNormalizer(Func<Rune, string> map) => _map = map;

    public static RuneMapNormalizer Lowercase { get; } = new(r => r.Value == 0x130 ? "i\u0307" : Rune.ToLowerInvariant(r).ToString());

    /// <summary>Removes combining marks (general category M), as HF's StripAccents does after NFD.</summary>
    public static RuneMapNormalizer StripAccents { get; } = new(r => Rune.GetUnicodeCategory(r) is System.Globalization.UnicodeCategory.NonSpacingMark
        or System.Globalization.UnicodeCategory.SpacingCombiningMark or System.Globalization.UnicodeCategory.EnclosingMark ? "" : r.ToString());

    public NormalizedText Apply(NormalizedText text)
    {
        var output = new NormalizedText.Builder();
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.Text.AsSpan(i), out var rune, out int length) != System.Buffers.OperationStatus.Done)
            {
                output.Copy(text, i, i + 1); // a lone surrogate passes through
                i++;
                continue;
            }
            var mapped = _map(rune);
            if (mapped.Length == length && mapped.AsSpan().SequenceEqual(text.Text.AsSpan(i, length))) output.Copy(text, i, i + length);
            else output.Append(mapped, text.Start[i], text.End[i + length - 1]);
            i += length;
        }
        return output.Build();
    }
}
