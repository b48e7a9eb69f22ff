using Loom.Tensors;

namespace Loom.Formats;

/// <summary>
/// A tensor listed in a GGUF file. <see cref="Dimensions"/> are in GGUF (ggml) order, innermost first:
/// a matrix of R rows × C columns is stored as [C, R]. <see cref="Shape"/> gives the same outermost first.
/// </summary>
public sealed class GgufTensorInfo
{
    internal GgufTensorInfo(string name, long[] dimensions, GgmlType type, long offset, long elementCount, long byteCount, long fileOffset)
    {
        Name = name;
        Dimensions = dimensions;
        Type = type;
        Offset = offset;
        ElementCount = elementCount;
        ByteCount = byteCount;
        FileOffset = fileOffset;
    }

    public string Name { get; }

    /// <summary>Sizes innermost first (ggml's ne[0], ne[1], …), as stored.</summary>
    public IReadOnlyList<long> Dimensions { get; }

    /// <summary>Sizes outermost first (PyTorch / safetensors order).</summary>
    public long[] Shape => Dimensions.Reverse().ToArray();

    public GgmlType Type { get; }

    /// <summary>Offset of the data from the start of the tensor data section, as stored.</summary>
    public long Offset { get; }

    /// <summary>Offset of the data from the start of the file.</summary>
    public long FileOffset { get; }

    public long ElementCount { get; }

    public long ByteCount { get; }

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dimensions)}]";
}
