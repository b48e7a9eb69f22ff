using System.Text;

namespace Loom.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ character map used by byte-level BPE vocabularies: printable Latin-1 bytes stand for
/// themselves, the other bytes for U+0100 onwards (a space is "Ġ").
/// </summary>
internal static class ByteLevel
{
    private static readonly char[] ByteToChar = Build();

    /// <summary>The 256 symbols, in byte order.</summary>
    public static IReadOnlyList<string> Alphabet { get; } = ByteToChar.Select(c => c.ToString()).ToArray();

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, one symbol per byte.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        var bytes = Encoding.UTF8.GetBytes(text.ToArray());
        return string.Create(bytes.Length, bytes, (chars, b) => { for (int i = 0; i < b.Length; i++) chars[i] = ByteToChar[b[i]]; });
    }

    private static char[] Build()
    {
        static bool Printable(int b) => b is (>= '!' and <= '~') or (>= '¡' and <= '¬') or (>= '®' and <= 'ÿ');
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) map[b] = Printable(b) ? (char)b : (char)next++;
        return map;
    }
}
