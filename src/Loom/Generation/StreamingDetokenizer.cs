namespace Loom.Generation;

/// <summary>
/// Turns generated token ids into text as they arrive, releasing text only once it is made of complete
/// characters: a multi-byte UTF-8 character split across byte-level or byte-fallback tokens (<c>&lt;0xE2&gt;</c>)
/// comes out whole, never as U+FFFD halves. One instance per generated sequence.
/// </summary>
public abstract class StreamingDetokenizer
{
    /// <summary>
    /// Seeds the detokenizer with the tokens that precede the generated ones (the end of the prompt), without
    /// emitting them, so that context-dependent decoding (a SentencePiece leading space) is right for the first token.
    /// </summary>
    public abstract void Prime(ReadOnlySpan<int> context);

    /// <summary>Adds a token and returns the text that became complete (often empty while a character is split).</summary>
    public abstract string Append(int tokenId);

    /// <summary>Returns whatever is still held back (an incomplete character decodes to U+FFFD) and resets.</summary>
    public abstract string Flush();
}
