using Microsoft.ML.Tokenizers;

namespace Loom.Generation;

/// <summary>
/// Streaming detokenisation over any <see cref="Tokenizer"/>'s <c>Decode</c>: it decodes a small window of
/// recent ids, and releases the part of the text that is new, unless the text still ends in U+FFFD (an
/// incomplete character). Decoding a window rather than single ids keeps the tokenizer's own joining rules
/// (leading spaces, byte fallback, byte-level pieces).
/// </summary>
public sealed class TokenizerDetokenizer(Tokenizer tokenizer) : StreamingDetokenizer
{
    // How many prompt tokens Prime keeps as left context.
    private const int ContextTokens = 4;

    private readonly List<int> _ids = [];
    private int _prefixOffset;
    private int _readOffset;

    /// <inheritdoc/>
    public override void Prime(ReadOnlySpan<int> context)
    {
        Reset();
        _ids.AddRange(context[Math.Max(0, context.Length - ContextTokens)..]);
        _readOffset = _ids.Count;
    }

    /// <inheritdoc/>
    public override string Append(int tokenId)
    {
        _ids.Add(tokenId);
        string before = Decode(_prefixOffset, _readOffset);
        string after = Decode(_prefixOffset, _ids.Count);
        if (after.Length <= before.Length || after.EndsWith('\uFFFD')) return "";

        _prefixOffset = _readOffset;
        _readOffset = _ids.Count;
        // Drop ids that can no longer influence the window, so the work per token stays constant.
        if (_prefixOffset > 64)
        {
            _ids.RemoveRange(0, _prefixOffset);
            _readOffset -= _prefixOffset;
            _prefixOffset = 0;
        }
        return after.StartsWith(before, StringComparison.Ordinal) ? after[before.Length..] : after[Math.Min(before.Length, after.Length)..];
    }

    /// <inheritdoc/>
    public override string Flush()
    {
        string before = Decode(_prefixOffset, _readOffset);
        string after = Decode(_prefixOffset, _ids.Count);
        Reset();
        return after.Length > before.Length ? after[before.Length..] : "";
    }

    private void Reset()
    {
        _ids.Clear();
        _prefixOffset = _readOffset = 0;
    }

    private string Decode(int start, int end) =>
        start >= end ? "" : tokenizer.Decode(_ids.GetRange(start, end - start)) ?? "";
}
