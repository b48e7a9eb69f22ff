using System.Text;

namespace Loom.Generation;

/// <summary>
/// Streaming detokenisation from each token's raw bytes (a byte-level BPE token's bytes, a byte-fallback
/// token's single byte): a UTF-8 decoder carries incomplete characters over to the next token.
/// </summary>
public sealed class ByteDetokenizer(Func<int, ReadOnlyMemory<byte>> tokenBytes) : StreamingDetokenizer
{
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();

    /// <inheritdoc/>
    public override void Prime(ReadOnlySpan<int> context) => _decoder.Reset();

    /// <inheritdoc/>
    public override string Append(int tokenId) => Decode(tokenBytes(tokenId).Span, flush: false);

    /// <inheritdoc/>
    public override string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        Span<char> chars = bytes.Length < 256 ? stackalloc char[bytes.Length + 4] : new char[bytes.Length + 4];
        int written = _decoder.GetChars(bytes, chars, flush);
        return new string(chars[..written]);
    }
}
