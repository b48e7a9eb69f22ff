using System.Buffers.Binary;
using System.Text;

namespace Loom.Formats;

/// <summary>
/// Reads little-endian values from <see cref="ModelBytes"/> at a moving position. Every read checks the bytes
/// that remain first, so a short or hostile file becomes a <see cref="ModelFormatException"/> naming the offset.
/// </summary>
internal sealed class ByteCursor(ModelBytes bytes)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public long Position { get; set; }

    public long Remaining => bytes.Length - Position;

    public ModelFormatException Error(string problem) => new(bytes.Path, Position, problem);

    public ModelFormatException Error(long offset, string problem) => new(bytes.Path, offset, problem);

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (Remaining < count) throw Error($"the file ends inside {what} ({count} bytes needed, {Remaining} left)");
        var span = bytes.Span(Position, count);
        Position += count;
        return span;
    }

    public byte ReadByte(string what) => Take(1, what)[0];
    public ushort ReadUInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public float ReadSingle(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));
    public double ReadDouble(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>Reads <paramref name="length"/> bytes of strict UTF-8 (the length is checked against the file first);
    /// problems are reported at <paramref name="lengthAt"/>, where the length was stored.</summary>
    public string ReadUtf8(ulong length, string what, long lengthAt)
    {
        long start = Position;
        if (length > (ulong)Remaining) throw Error(lengthAt, $"{what} claims {length} bytes but only {Remaining} remain");
        if (length > int.MaxValue) throw Error(lengthAt, $"{what} of {length} bytes is longer than Loom accepts");
        try
        {
            return StrictUtf8.GetString(Take((int)length, what));
        }
        catch (DecoderFallbackException)
        {
            throw Error(start, $"{what} is not valid UTF-8");
        }
    }

    /// <summary>Takes <paramref name="count"/> elements of <paramref name="size"/> bytes each, after checking they fit;
    /// problems are reported at <paramref name="countAt"/>, where the count was stored.</summary>
    public ReadOnlySpan<byte> TakeElements(ulong count, int size, string what, long countAt)
    {
        if (count > (ulong)Remaining / (ulong)size)
            throw Error(countAt, $"{what} claims {count} elements of {size} bytes but only {Remaining} bytes remain");
        if (count * (ulong)size > int.MaxValue) throw Error(countAt, $"{what} of {count} elements is larger than Loom accepts");
        return Take((int)(count * (ulong)size), what);
    }
}
