using System.Text;

namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Text on its way through a tokenizer.json pipeline, with, for each char, the span of the original text it came from
/// (so token offsets point into what the caller passed, whatever the normalizer did).
/// </summary>
internal sealed class NormalizedText(string text, int[] start, int[] end)
{
    public string Text { get; } = text;
    public int[] Start { get; } = start;
    public int[] End { get; } = end;

    public int Length => Text.Length;

    public static NormalizedText Original(ReadOnlySpan<char> text, int offset)
    {
        var start = new int[text.Length];
        var end = new int[text.Length];
        for (int i = 0; i < text.Length; i++) (start[i], end[i]) = (offset + i, offset + i + 1);
        return new NormalizedText(text.ToString(), start, end);
    }

    public NormalizedText Slice(int from, int to) => new(Text[from..to], Start[from..to], End[from..to]);

    /// <summary>The original span of chars <paramref name="from"/>…<paramref name="to"/> of this text.</summary>
    public Range Source(int from, int to) => Start[from]..Math.Max(Start[from], End[to - 1]);

    /// <summary>Builds a new text, each appended char carrying the source span it is given.</summary>
    public sealed class Builder
    {
        private readonly StringBuilder _text = new();
        private readonly List<int> _start = [];
        private readonly List<int> _end = [];

        public void Append(ReadOnlySpan<char> chars, int start, int end)
        {
            _text.Append(chars);
            for (int i = 0; i < chars.Length; i++) { _start.Add(start); _end.Add(end); }
        }

        /// <summary>Copies chars <paramref name="from"/>…<paramref name="to"/> of <paramref name="source"/> with their spans.</summary>
        public void Copy(NormalizedText source, int from, int to)
        {
            _text.Append(source.Text.AsSpan(from, to - from));
            _start.AddRange(source.Start.AsSpan(from, to - from));
            _end.AddRange(source.End.AsSpan(from, to - from));
        }

        public NormalizedText Build() => new(_text.ToString(), [.. _start], [.. _end]);
    }
}
