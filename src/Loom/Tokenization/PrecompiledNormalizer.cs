using System.Globalization;
using System.Text;

namespace Loom.Tokenization;

/// <summary>
/// A tokenizer.json "Precompiled" normalizer as Hugging Face tokenizers runs it (T5, ALBERT, XLNet, XLM-R …): each
/// grapheme shorter than 6 UTF-8 bytes is looked up whole, otherwise (or when that finds nothing) each character is;
/// a lookup takes the first, shortest key that starts the chunk. Optionally followed by the Replace(" {2,}", " ") that
/// converted SentencePiece tokenizers carry. Keeps, for each output char, the input chars it came from.
/// </summary>
public sealed class PrecompiledNormalizer
{
    private const int WholeGraphemeBytes = 6;
    private readonly PrecompiledCharsMap _map;

    public PrecompiledNormalizer(PrecompiledCharsMap map, bool collapseSpaces)
    {
        _map = map;
        CollapseSpaces = collapseSpaces;
    }

    /// <summary>Whether runs of two or more spaces become one afterwards.</summary>
    public bool CollapseSpaces { get; }

    public string Normalize(string text) => Normalize(text.AsSpan()).Text;

    /// <summary>The normalised text, and for each of its chars the input range it came from.</summary>
    internal (string Text, int[] SourceStart, int[] SourceEnd) Normalize(ReadOnlySpan<char> input)
    {
        var text = new StringBuilder(input.Length);
        var starts = new List<int>(input.Length);
        var ends = new List<int>(input.Length);
        var utf8 = new byte[8]; // whole graphemes looked up are under 6 bytes, single characters at most 4
        for (int g = 0; g < input.Length;)
        {
            int length = StringInfo.GetNextTextElementLength(input[g..]);
            var grapheme = input.Slice(g, length);
            if (Encoding.UTF8.GetByteCount(grapheme) < WholeGraphemeBytes && Rewrite(grapheme, g, g + length)) { g += length; continue; }
            for (int c = g; c < g + length;)
            {
                int charLength = char.IsHighSurrogate(input[c]) && c + 1 < g + length && char.IsLowSurrogate(input[c + 1]) ? 2 : 1;
                if (!Rewrite(input.Slice(c, charLength), c, c + charLength))
                    for (int k = c; k < c + charLength; k++) Append(input[k], c, c + charLength);
                c += charLength;
            }
            g += length;
        }
        return (text.ToString(), starts.ToArray(), ends.ToArray());

        bool Rewrite(ReadOnlySpan<char> chunk, int from, int to)
        {
            int count = Encoding.UTF8.GetBytes(chunk, utf8);
            if (_map.MatchShortest(utf8.AsSpan(0, count), out var replacement) == 0) return false;
            foreach (char r in Encoding.UTF8.GetString(replacement)) Append(r, from, to);
            return true;
        }

        void Append(char c, int from, int to)
        {
            if (CollapseSpaces && c == ' ' && text.Length > 0 && text[^1] == ' ') { ends[^1] = to; return; }
            text.Append(c);
            starts.Add(from);
            ends.Add(to);
        }
    }
}
