using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;
using Loom.Tensors;

namespace Loom.Formats;

/// <summary>
/// A safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and data_offsets, then the data. The header is validated when the file is opened (size limit, dtypes,
/// shapes, offsets contiguous and covering the data exactly, as the reference implementation requires); tensor data is
/// handed out in place. Anything malformed is a <see cref="ModelFormatException"/>.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>The reference implementation's limit on the JSON header (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly ModelBytes _bytes;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    private SafetensorsFile(ModelBytes bytes, IReadOnlyDictionary<string, string> metadata, List<SafetensorsTensorInfo> tensors, long dataOffset)
    {
        _bytes = bytes;
        Metadata = metadata;
        Tensors = tensors;
        DataOffset = dataOffset;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string? Path => _bytes.Path;

    /// <summary>The <c>__metadata__</c> entries (string to string).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensors in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Where the data starts: 8 + the header length.</summary>
    public long DataOffset { get; }

    public static SafetensorsFile Open(string path)
    {
        var bytes = ModelBytes.Map(path);
        try
        {
            return Parse(bytes);
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    /// <summary>Reads safetensors bytes already in memory (pinned, not copied, until disposal).</summary>
    public static SafetensorsFile Read(byte[] bytes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var source = ModelBytes.Pin(bytes, name);
        try
        {
            return Parse(source);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    public bool TryGetTensor(string name, [NotNullWhen(true)] out SafetensorsTensorInfo? tensor) => _byName.TryGetValue(name, out tensor);

    public SafetensorsTensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out var tensor) ? tensor : throw new ModelFormatException(Path, $"tensor '{name}' is not in the file");

    public ReadOnlyMemory<byte> GetData(string name) => GetData(GetTensor(name));

    public ReadOnlyMemory<byte> GetData(SafetensorsTensorInfo tensor)
    {
        if (!_byName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor))
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to this file", nameof(tensor));
        if (tensor.ByteCount > int.MaxValue)
            throw new ModelFormatException(Path, tensor.FileOffset, $"tensor '{tensor.Name}' has {tensor.ByteCount} bytes; Loom handles tensors up to 2 GiB");
        return _bytes.Memory(tensor.FileOffset, (int)tensor.ByteCount);
    }

    /// <summary>A tensor as a weight matrix: columns = the last dimension, rows = the product of the others.</summary>
    public WeightMatrix GetMatrix(string name)
    {
        var tensor = GetTensor(name);
        return ToMatrix(Path, tensor, GetData(tensor));
    }

    internal static WeightMatrix ToMatrix(string? path, SafetensorsTensorInfo tensor, ReadOnlyMemory<byte> data)
    {
        if (!SafetensorsDTypes.TryGetGgmlType(tensor.DType, out var type))
            throw new ModelFormatException(path, tensor.FileOffset, $"tensor '{tensor.Name}' has dtype {SafetensorsDTypes.Name(tensor.DType)}, which Loom cannot compute with");
        long cols = tensor.Shape.Count == 0 ? 1 : tensor.Shape[^1];
        if (tensor.ElementCount == 0)
            throw new ModelFormatException(path, tensor.FileOffset, $"tensor '{tensor.Name}' is empty");
        long rows = tensor.ElementCount / cols;
        if (rows > int.MaxValue || cols > int.MaxValue)
            throw new ModelFormatException(path, tensor.FileOffset, $"tensor '{tensor.Name}' is {rows} × {cols}, larger than a weight matrix can be");
        return new WeightMatrix(type, (int)rows, (int)cols, data);
    }

    public void Dispose() => _bytes.Dispose();

    private static SafetensorsFile Parse(ModelBytes bytes)
    {
        string? path = bytes.Path;
        if (bytes.Length < 8) throw new ModelFormatException(path, 0, $"a safetensors file starts with an 8-byte header length; the file has {bytes.Length} bytes");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Span(0, 8));
        if (headerLength > MaxHeaderLength)
            throw new ModelFormatException(path, 0, $"the header claims {headerLength} bytes, more than the {MaxHeaderLength} allowed");
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new ModelFormatException(path, 0, $"the header claims {headerLength} bytes but the file has only {bytes.Length - 8} after the length");
        long dataOffset = 8 + (long)headerLength;
        long dataLength = bytes.Length - dataOffset;
        var header = bytes.Span(8, (int)headerLength);
        if (header.Length == 0 || header[0] != (byte)'{') throw new ModelFormatException(path, 8, "the header is not a JSON object");
        // JsonDocument checks UTF-8 only when a string is read; check it all first so a bad byte is a format error.
        if (!Utf8.IsValid(header)) throw new ModelFormatException(path, 8, "the header is not valid UTF-8");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.Memory(8, header.Length), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            long at = e.LineNumber == 0 && e.BytePositionInLine is long p ? 8 + p : 8;
            throw new ModelFormatException(path, at, $"the header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<SafetensorsTensorInfo>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) throw new ModelFormatException(path, 8, $"'{property.Name}' appears twice in the header");
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new ModelFormatException(path, 8, "__metadata__ is not an object");
                    foreach (var entry in property.Value.EnumerateObject())
                    {
                        if (entry.Value.ValueKind != JsonValueKind.String)
                            throw new ModelFormatException(path, 8, $"__metadata__ entry '{entry.Name}' is not a string");
                        if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                            throw new ModelFormatException(path, 8, $"__metadata__ entry '{entry.Name}' appears twice");
                    }
                    continue;
                }
                tensors.Add(ParseTensor(path, property.Name, property.Value, dataOffset, dataLength));
            }
            CheckCoverage(path, tensors, dataLength);
            return new SafetensorsFile(bytes, metadata, tensors, dataOffset);
        }
    }

    private static SafetensorsTensorInfo ParseTensor(string? path, string name, JsonElement entry, long dataOffset, long dataLength)
    {
        ModelFormatException Bad(string problem) => new(path, 8, $"tensor '{name}': {problem}");
        if (entry.ValueKind != JsonValueKind.Object) throw Bad("its entry is not an object");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("dtype is missing or not a string");
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype)) throw Bad($"dtype '{dtypeName}' is not one Loom knows");

        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad("shape is missing or not an array");
        if (shapeElement.GetArrayLength() > 16) throw Bad($"shape has {shapeElement.GetArrayLength()} dimensions");
        var shape = new long[shapeElement.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size) || size < 0)
                throw Bad("shape holds something other than non-negative integers");
            shape[i++] = size;
            if (size != 0 && elements > long.MaxValue / size) throw Bad("its element count overflows 64 bits");
            elements *= size;
        }

        if (!entry.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad("data_offsets is missing or not a pair");
        if (offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
                || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad("data_offsets are not an ordered pair of non-negative integers");
        if (end > dataLength) throw Bad($"data [{begin}, {end}) lies outside the {dataLength} bytes of data");
        int size1 = SafetensorsDTypes.ElementSize(dtype);
        if (elements > long.MaxValue / size1 || elements * size1 != end - begin)
            throw Bad($"{dtypeName} [{string.Join(", ", shape)}] needs {(elements > long.MaxValue / size1 ? "more than 2^63" : (elements * size1).ToString())} bytes but data_offsets give {end - begin}");
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end, dataOffset + begin, elements);
    }

    /// <summary>The data must be covered exactly: tensors sorted by offset follow each other with no gap or overlap.</summary>
    private static void CheckCoverage(string? path, List<SafetensorsTensorInfo> tensors, long dataLength)
    {
        long expected = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin != expected)
                throw new ModelFormatException(path, t.FileOffset, t.Begin < expected
                    ? $"tensor '{t.Name}' overlaps the tensor before it"
                    : $"a gap of {t.Begin - expected} bytes precedes tensor '{t.Name}'");
            expected = t.End;
        }
        if (expected != dataLength)
            throw new ModelFormatException(path, -1, $"the tensors cover {expected} bytes of data but the file holds {dataLength}");
    }
}
