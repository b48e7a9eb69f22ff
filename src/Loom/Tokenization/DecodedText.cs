using System.Buffers;

namespace Loom.Tokenization;

/// <summary>ML.Tokenizers' span-based Decode for tokenizers that decode to a string: all of the text or nothing.</summary>
internal static class DecodedText
{
    public static OperationStatus CopyTo(string text, int idCount, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        idsConsumed = 0;
        charsWritten = 0;
        if (text.Length > destination.Length) return OperationStatus.DestinationTooSmall;
        text.AsSpan().CopyTo(destination);
        idsConsumed = idCount;
        charsWritten = text.Length;
        return OperationStatus.Done;
    }
}
