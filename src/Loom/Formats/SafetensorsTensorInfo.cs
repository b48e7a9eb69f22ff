namespace Loom.Formats;

/// <summary>A tensor listed in a safetensors header. <see cref="Shape"/> is outermost first, as PyTorch has it.</summary>
public sealed class SafetensorsTensorInfo
{
    internal SafetensorsTensorInfo(string name, SafetensorsDType dtype, long[] shape, long begin, long end, long fileOffset, long elementCount)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        Begin = begin;
        End = end;
        FileOffset = fileOffset;
        ElementCount = elementCount;
    }

    public string Name { get; }
    public SafetensorsDType DType { get; }
    public IReadOnlyList<long> Shape { get; }

    /// <summary>data_offsets[0]: start of the data, relative to the end of the header.</summary>
    public long Begin { get; }

    /// <summary>data_offsets[1]: end of the data (exclusive), relative to the end of the header.</summary>
    public long End { get; }

    /// <summary>Start of the data from the start of the file.</summary>
    public long FileOffset { get; }

    public long ElementCount { get; }
    public long ByteCount => End - Begin;

    public override string ToString() => $"{Name} {SafetensorsDTypes.Name(DType)} [{string.Join(", ", Shape)}]";
}
