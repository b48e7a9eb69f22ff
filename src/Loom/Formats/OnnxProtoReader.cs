namespace Loom.Formats;

/// <summary>
/// The protobuf wire format, read by hand (the ONNX schema needs only varints, fixed32/64 and length-delimited fields).
/// Every length is checked against the bytes that remain in the enclosing message before it is used, and every
/// problem becomes a <see cref="ModelFormatException"/> naming the absolute byte offset.
/// </summary>
internal ref struct OnnxProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly long _base;
    private readonly string? _path;
    private int _position;

    /// <param name="data">the message's bytes</param>
    /// <param name="baseOffset">offset of <paramref name="data"/> in the file, for error messages and slicing</param>
    public OnnxProtoReader(ReadOnlySpan<byte> data, long baseOffset, string? path)
    {
        _data = data;
        _base = baseOffset;
        _path = path;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>Absolute file offset of the next byte.</summary>
    public readonly long Offset => _base + _position;

    public readonly ModelFormatException Error(string problem) => new(_path, Offset, problem);

    /// <summary>Reads a field key; returns the field number and sets <paramref name="wireType"/>.</summary>
    public int ReadTag(out int wireType)
    {
        long at = Offset;
        ulong key = ReadVarint();
        wireType = (int)(key & 7);
        ulong field = key >> 3;
        if (field == 0 || field > 536_870_911) throw new ModelFormatException(_path, at, $"invalid field number {field}");
        if (wireType is 3 or 4 or 6 or 7) throw new ModelFormatException(_path, at, $"unsupported protobuf wire type {wireType} (field {field})");
        return (int)field;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length) throw Error("varint runs past the end of its message");
            byte b = _data[_position++];
            if (shift == 63 && b > 1) throw Error("varint longer than 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw Error("varint longer than 10 bytes");
    }

    public long ReadInt64() => (long)ReadVarint();

    public int ReadInt32()
    {
        long at = Offset;
        long value = ReadInt64();
        if (value is < int.MinValue or > int.MaxValue) throw new ModelFormatException(_path, at, $"int32 field holds {value}");
        return (int)value;
    }

    public uint ReadFixed32()
    {
        var bytes = Take(4);
        return BitConverter.ToUInt32(bytes);
    }

    public ulong ReadFixed64()
    {
        var bytes = Take(8);
        return BitConverter.ToUInt64(bytes);
    }

    /// <summary>Reads the length prefix of a length-delimited field and returns (absolute offset, length) of its payload,
    /// advancing past it.</summary>
    public (long Offset, int Length) ReadLengthDelimited()
    {
        long at = Offset;
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
            throw new ModelFormatException(_path, at, $"length {length} runs past the end of its message ({_data.Length - _position} bytes left)");
        long start = Offset;
        _position += (int)length;
        return (start, (int)length);
    }

    /// <summary>The payload of a length-delimited field.</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var (offset, length) = ReadLengthDelimited();
        return _data.Slice((int)(offset - _base), length);
    }

    public string ReadString()
    {
        long at = Offset;
        var bytes = ReadBytes();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new ModelFormatException(_path, at, "string is not valid UTF-8");
        }
    }

    /// <summary>A reader over the payload of a length-delimited field (a nested message or a packed array).</summary>
    public OnnxProtoReader ReadMessage()
    {
        var (offset, length) = ReadLengthDelimited();
        return new OnnxProtoReader(_data.Slice((int)(offset - _base), length), offset, _path);
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Take(8); break;
            case 2: ReadLengthDelimited(); break;
            case 5: Take(4); break;
            default: throw Error($"unsupported protobuf wire type {wireType}");
        }
    }

    /// <summary>Throws unless the field was sent with the wire type its schema declares.</summary>
    public readonly void Expect(int wireType, int expected, int field, string message)
    {
        if (wireType != expected) throw Error($"{message} field {field} has wire type {wireType}, expected {expected}");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position) throw Error($"{count}-byte value runs past the end of its message");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
}
