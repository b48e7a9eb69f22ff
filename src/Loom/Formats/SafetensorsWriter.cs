using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Loom.Formats;

/// <summary>
/// Builds a safetensors file: an optional <c>__metadata__</c> header, the header padded with spaces to a multiple of
/// 8 bytes so the data starts aligned, and tensors laid out contiguously — widest element type first, then in the order
/// added — so that every tensor starts at a multiple of its element size, as the reference implementation does.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly List<(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public SafetensorsWriter AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!_metadata.TryAdd(key, value)) throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        return this;
    }

    /// <summary>Adds a tensor from raw little-endian bytes; <paramref name="shape"/> is outermost first.</summary>
    public SafetensorsWriter AddTensor(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved", nameof(name));
        if (!Enum.IsDefined(dtype)) throw new ArgumentOutOfRangeException(nameof(dtype));
        long elements = 1;
        foreach (long d in shape)
        {
            if (d < 0 || (d != 0 && elements > long.MaxValue / d)) throw new ArgumentException("dimensions must be non-negative and their product must fit 64 bits", nameof(shape));
            elements *= d;
        }
        int size = SafetensorsDTypes.ElementSize(dtype);
        if (elements > long.MaxValue / size || elements * size != data.Length)
            throw new ArgumentException($"{SafetensorsDTypes.Name(dtype)} [{string.Join(", ", shape.ToArray())}] does not take {data.Length} bytes", nameof(data));
        if (!_names.Add(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        _tensors.Add((name, dtype, shape.ToArray(), data));
        return this;
    }

    public SafetensorsWriter AddTensor(string name, ReadOnlySpan<float> values, params ReadOnlySpan<long> shape) =>
        AddTensor(name, SafetensorsDType.F32, shape, MemoryMarshal.AsBytes(values).ToArray());

    public SafetensorsWriter AddTensor(string name, ReadOnlySpan<long> values, params ReadOnlySpan<long> shape) =>
        AddTensor(name, SafetensorsDType.I64, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Writes the file atomically: through a temporary file in the same folder, renamed into place
    /// (a cancelled or failed write leaves any existing file untouched).</summary>
    public void Write(string path, CancellationToken cancellationToken = default) =>
        AtomicFile.Write(path, stream => Write(stream, cancellationToken));

    private IEnumerable<(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)> Layout() =>
        _tensors.OrderByDescending(t => SafetensorsDTypes.ElementSize(t.DType)); // stable: ties keep the order added

    public void Write(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in _metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in Layout())
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", SafetensorsDTypes.Name(t.DType));
                json.WriteStartArray("shape");
                foreach (long d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var t in Layout())
        {
            cancellationToken.ThrowIfCancellationRequested();
            stream.Write(t.Data.Span);
        }
        stream.Flush();
    }
}
