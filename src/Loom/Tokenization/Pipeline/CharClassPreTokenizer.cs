using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Pre-tokenizers that split at code points of one class: "WhitespaceSplit" (white space, removed), "Punctuation"
/// (ASCII punctuation and Unicode P*, behaviour as declared, Isolated by default) and "Digits" (Rust's is_numeric:
/// Nd, Nl, No; each digit isolated, or runs of digits when individual_digits is false).
/// </summary>
internal sealed class CharClassPreTokenizer(Func<Rune, bool> isDelimiter, SplitBehavior behavior) : IPreTokenizerStage
{
    public static CharClassPreTokenizer WhitespaceSplit { get; } = new(Rune.IsWhiteSpace, SplitBehavior.Removed);

    public static CharClassPreTokenizer Punctuation(SplitBehavior behavior) => new(IsPunctuation, behavior);

    public static CharClassPreTokenizer Digits(bool individual) =>
        new(r => Rune.IsNumber(r), individual ? SplitBehavior.Isolated : SplitBehavior.Contiguous);

    public static bool IsPunctuation(Rune r) => r.IsAscii ? r.Value is > 0x20 and < 0x7f && !char.IsAsciiLetterOrDigit((char)r.Value) : Rune.IsPunctuation(r);

    public void Split(NormalizedText piece, List<NormalizedText> output)
    {
        var delimiters = new List<(int, int)>();
        for (int i = 0; i < piece.Length;)
        {
            bool valid = Rune.DecodeFromUtf16(piece.Text.AsSpan(i), out var rune, out int length) == System.Buffers.OperationStatus.Done;
            if (valid && isDelimiter(rune)) delimiters.Add((i, i + length));
            length = Math.Max(length, 1);
            i += length;
        }
        SplitBehaviors.Split(piece, delimiters, behavior, output);
    }
}
