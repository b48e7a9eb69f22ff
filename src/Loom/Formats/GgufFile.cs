using Loom.Tensors;

namespace Loom.Formats;

/// <summary>
/// A GGUF file (version 2 or 3, little-endian), memory-mapped. The header, metadata and tensor list are parsed and
/// validated when the file is opened; tensor data is handed out in place as <see cref="ReadOnlyMemory{T}"/> over the
/// mapping (valid until the file is disposed) — nothing is copied. Anything malformed is a
/// <see cref="ModelFormatException"/> naming the file, the byte offset and the problem.
/// </summary>
public sealed class GgufFile : IDisposable
{
    /// <summary>The alignment of tensor data when <c>general.alignment</c> is absent.</summary>
    public const uint DefaultAlignment = 32;

    /// <summary>"GGUF" read as a little-endian u32.</summary>
    internal const uint Magic = 0x46554747;

    /// <summary>ggml's limit on dimensions per tensor.</summary>
    public const int MaxDimensions = 4;

    private readonly ModelBytes _bytes;
    private readonly Dictionary<string, GgufTensorInfo> _byName;

    private GgufFile(ModelBytes bytes, uint version, uint alignment, GgufMetadata metadata, List<GgufTensorInfo> tensors, long dataOffset)
    {
        _bytes = bytes;
        Version = version;
        Alignment = alignment;
        Metadata = metadata;
        Tensors = tensors;
        DataOffset = dataOffset;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file path, or the name given to <see cref="Read(byte[], string?)"/>.</summary>
    public string? Path => _bytes.Path;

    public uint Version { get; }

    public uint Alignment { get; }

    public GgufMetadata Metadata { get; }

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Where the tensor data section starts in the file.</summary>
    public long DataOffset { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long FileLength => _bytes.Length;

    /// <summary>Opens and validates a GGUF file, mapping it read-only.</summary>
    public static GgufFile Open(string path)
    {
        var bytes = ModelBytes.Map(path);
        try
        {
            return GgufParser.Parse(bytes);
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    /// <summary>Reads GGUF bytes already in memory (they are pinned, not copied, until disposal).</summary>
    public static GgufFile Read(byte[] bytes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var source = ModelBytes.Pin(bytes, name);
        try
        {
            return GgufParser.Parse(source);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    internal static GgufFile Create(ModelBytes bytes, uint version, uint alignment, GgufMetadata metadata, List<GgufTensorInfo> tensors, long dataOffset) =>
        new(bytes, version, alignment, metadata, tensors, dataOffset);

    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GgufTensorInfo? tensor) =>
        _byName.TryGetValue(name, out tensor);

    public GgufTensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out var tensor) ? tensor : throw new ModelFormatException(Path, $"tensor '{name}' is not in the file");

    /// <summary>The raw bytes of a tensor, in place in the mapping.</summary>
    public ReadOnlyMemory<byte> GetData(string name) => GetData(GetTensor(name));

    public ReadOnlyMemory<byte> GetData(GgufTensorInfo tensor)
    {
        if (!_byName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor))
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to this file", nameof(tensor));
        if (tensor.ByteCount > int.MaxValue)
            throw new ModelFormatException(Path, tensor.FileOffset, $"tensor '{tensor.Name}' has {tensor.ByteCount} bytes; Loom handles tensors up to 2 GiB");
        return _bytes.Memory(tensor.FileOffset, (int)tensor.ByteCount);
    }

    /// <summary>
    /// A tensor as a weight matrix: rows = the product of the outer dimensions, columns = the innermost one
    /// (a 1-D tensor is one row). The bytes stay in the mapping.
    /// </summary>
    public WeightMatrix GetMatrix(string name)
    {
        var tensor = GetTensor(name);
        if (!GgmlTypes.IsSupported(tensor.Type))
            throw new ModelFormatException(Path, tensor.FileOffset, $"tensor '{name}' has type {tensor.Type}, which Loom cannot compute with");
        long cols = tensor.Dimensions[0];
        long rows = tensor.ElementCount / cols;
        if (rows > int.MaxValue || cols > int.MaxValue)
            throw new ModelFormatException(Path, tensor.FileOffset, $"tensor '{name}' is {rows} × {cols}, larger than a weight matrix can be");
        return new WeightMatrix(tensor.Type, (int)rows, (int)cols, GetData(tensor));
    }

    public void Dispose() => _bytes.Dispose();
}
