using System.Globalization;
using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Pre-tokenizer "Whitespace": HF's regex <c>\w+|[^\w\s]+</c> (Rust regex classes: \w is Alphabetic, marks, decimal
/// digits, connector punctuation and the joiners; \s is White_Space): runs of word chars, runs of other non-space chars.
/// </summary>
internal sealed class WhitespacePreTokenizer : IPreTokenizerStage
{
    public static WhitespacePreTokenizer Instance { get; } = new();

    private enum Kind { Space, Word, Other }

    public void Split(NormalizedText piece, List<NormalizedText> output)
    {
        int runStart = 0;
        var runKind = Kind.Space;
        for (int i = 0; i <= piece.Length;)
        {
            var kind = Kind.Space;
            int length = 1;
            if (i < piece.Length)
            {
                if (Rune.DecodeFromUtf16(piece.Text.AsSpan(i), out var rune, out length) != System.Buffers.OperationStatus.Done) { length = 1; rune = Rune.ReplacementChar; }
                kind = Rune.IsWhiteSpace(rune) ? Kind.Space : IsWord(rune) ? Kind.Word : Kind.Other;
            }
            if (i == piece.Length || kind != runKind)
            {
                if (runKind != Kind.Space && i > runStart) output.Add(piece.Slice(runStart, i));
                runStart = i;
                runKind = kind;
            }
            i += length;
        }
    }

    private static bool IsWord(Rune r) => r.Value is 0x200C or 0x200D || Rune.GetUnicodeCategory(r) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
            or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
        _ => false,
    };
}
