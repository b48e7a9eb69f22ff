using System.Runtime.InteropServices;
using System.Text;
using Loom.Tensors;

namespace Loom.Formats;

/// <summary>
/// Builds a GGUF v3 file: metadata of every value type and tensors of any <see cref="GgmlType"/>, given as raw bytes
/// in that type's layout (use <c>Loom.Tensors.Quantization</c> to produce quantized blocks). Tensor data is aligned to
/// <see cref="Alignment"/>, which is recorded as <c>general.alignment</c> when it is not the default.
/// <code>
/// new GgufWriter()
///     .AddMetadata("general.architecture", "llama")
///     .AddMetadata("llama.block_count", 2u)
///     .AddTensor("output.weight", matrix)
///     .Write("tiny.gguf");
/// </code>
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<(string Name, GgmlType Type, long[] Dimensions, ReadOnlyMemory<byte> Data)> _tensors = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Alignment of tensor data in bytes: a power of two (default 32).</summary>
    public uint Alignment
    {
        get;
        set => field = value != 0 && (value & (value - 1)) == 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "the alignment must be a power of two");
    } = GgufFile.DefaultAlignment;

    public GgufWriter AddMetadata(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key == "general.alignment") throw new ArgumentException("set Alignment instead of adding general.alignment", nameof(key));
        if (Encoding.UTF8.GetByteCount(key) > ushort.MaxValue) throw new ArgumentException("a GGUF key is at most 65535 bytes", nameof(key));
        if (!_keys.Add(key)) throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        _metadata.Add(new(key, value));
        return this;
    }

    public GgufWriter AddMetadata(string key, string value) => AddMetadata(key, GgufValue.From(value));
    public GgufWriter AddMetadata(string key, uint value) => AddMetadata(key, GgufValue.From(value));
    public GgufWriter AddMetadata(string key, int value) => AddMetadata(key, GgufValue.From(value));
    public GgufWriter AddMetadata(string key, ulong value) => AddMetadata(key, GgufValue.From(value));
    public GgufWriter AddMetadata(string key, long value) => AddMetadata(key, GgufValue.From(value));
    public GgufWriter AddMetadata(string key, float value) => AddMetadata(key, GgufValue.From(value));
    public GgufWriter AddMetadata(string key, double value) => AddMetadata(key, GgufValue.From(value));
    public GgufWriter AddMetadata(string key, bool value) => AddMetadata(key, GgufValue.From(value));
    public GgufWriter AddMetadata(string key, string[] values) => AddMetadata(key, GgufValue.Array(values));
    public GgufWriter AddMetadata(string key, float[] values) => AddMetadata(key, GgufValue.Array(values));
    public GgufWriter AddMetadata(string key, int[] values) => AddMetadata(key, GgufValue.Array(values));

    /// <summary>
    /// Adds a tensor from raw bytes. <paramref name="dimensions"/> are in GGUF order, innermost first
    /// (a matrix of R rows × C columns is [C, R]); the data must be exactly the bytes that shape takes in <paramref name="type"/>.
    /// </summary>
    public GgufWriter AddTensor(string name, GgmlType type, ReadOnlySpan<long> dimensions, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type");
        if (dimensions.Length is 0 or > GgufFile.MaxDimensions)
            throw new ArgumentException($"a tensor has 1 to {GgufFile.MaxDimensions} dimensions", nameof(dimensions));
        long elements = 1;
        foreach (long d in dimensions)
        {
            if (d <= 0 || elements > long.MaxValue / d) throw new ArgumentException("dimensions must be positive and their product must fit 64 bits", nameof(dimensions));
            elements *= d;
        }
        if (dimensions[0] % GgmlTypes.BlockSize(type) != 0)
            throw new ArgumentException($"the innermost dimension {dimensions[0]} is not a whole number of {type} blocks", nameof(dimensions));
        long bytes = GgmlTypes.TryByteCount(type, elements);
        if (bytes != data.Length) throw new ArgumentException($"{type} [{string.Join(", ", dimensions.ToArray())}] takes {bytes} bytes, got {data.Length}", nameof(data));
        if (!_names.Add(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        _tensors.Add((name, type, dimensions.ToArray(), data));
        return this;
    }

    /// <summary>Adds a weight matrix of R rows × C columns as GGUF dimensions [C, R], in its own type.</summary>
    public GgufWriter AddTensor(string name, WeightMatrix matrix) =>
        AddTensor(name, matrix.Type, [matrix.Cols, matrix.Rows], matrix.Data);

    /// <summary>Adds f32 values; <paramref name="dimensions"/> innermost first, as in <see cref="AddTensor(string, GgmlType, ReadOnlySpan{long}, ReadOnlyMemory{byte})"/>.</summary>
    public GgufWriter AddTensor(string name, ReadOnlySpan<float> values, params ReadOnlySpan<long> dimensions) =>
        AddTensor(name, GgmlType.F32, dimensions, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Writes the file atomically: through a temporary file in the same folder, renamed into place
    /// (a cancelled or failed write leaves any existing file untouched).</summary>
    public void Write(string path, CancellationToken cancellationToken = default) =>
        AtomicFile.Write(path, stream => Write(stream, cancellationToken));

    public void Write(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var output = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        output.Write(GgufFile.Magic);
        output.Write(3u);
        output.Write((ulong)_tensors.Count);
        var metadata = Alignment == GgufFile.DefaultAlignment
            ? _metadata
            : [new("general.alignment", GgufValue.From(Alignment)), .. _metadata];
        output.Write((ulong)metadata.Count);
        long written = 24;
        foreach (var (key, value) in metadata)
        {
            written += WriteString(output, key);
            output.Write((uint)value.Type);
            written += 4 + WriteValue(output, value);
        }

        long offset = 0;
        var offsets = new long[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            written += WriteString(output, t.Name);
            output.Write((uint)t.Dimensions.Length);
            foreach (long d in t.Dimensions) output.Write((ulong)d);
            output.Write((uint)t.Type);
            output.Write((ulong)offset);
            written += 4 + 8L * t.Dimensions.Length + 4 + 8;
            offsets[i] = offset;
            offset = GgufParser.AlignUp(offset + t.Data.Length, Alignment);
        }

        if (_tensors.Count > 0) Pad(output, ref written);
        for (int i = 0; i < _tensors.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            output.Write(_tensors[i].Data.Span);
            written += _tensors[i].Data.Length;
            if (i + 1 < _tensors.Count) Pad(output, ref written);
        }
        output.Flush();
    }

    private void Pad(BinaryWriter output, ref long written)
    {
        long aligned = GgufParser.AlignUp(written, Alignment);
        for (; written < aligned; written++) output.Write((byte)0);
    }

    private static long WriteString(BinaryWriter output, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        output.Write((ulong)bytes.Length);
        output.Write(bytes);
        return 8 + bytes.Length;
    }

    private static long WriteValue(BinaryWriter output, GgufValue value)
    {
        switch (value.Value)
        {
            case byte v: output.Write(v); return 1;
            case sbyte v: output.Write(v); return 1;
            case ushort v: output.Write(v); return 2;
            case short v: output.Write(v); return 2;
            case uint v: output.Write(v); return 4;
            case int v: output.Write(v); return 4;
            case float v: output.Write(v); return 4;
            case bool v: output.Write((byte)(v ? 1 : 0)); return 1;
            case string v: return WriteString(output, v);
            case ulong v: output.Write(v); return 8;
            case long v: output.Write(v); return 8;
            case double v: output.Write(v); return 8;
        }
        output.Write((uint)value.ElementType);
        output.Write((ulong)value.Count);
        long written = 12;
        switch (value.Value)
        {
            case string[] strings:
                foreach (var s in strings) written += WriteString(output, s);
                return written;
            case GgufValue[] arrays:
                foreach (var a in arrays) written += WriteValue(output, a);
                return written;
            case bool[] bools:
                foreach (bool b in bools) output.Write((byte)(b ? 1 : 0));
                return written + bools.Length;
            default:
                var raw = ElementBytes(value.Value);
                output.Write(raw);
                return written + raw.Length;
        }
    }

    private static ReadOnlySpan<byte> ElementBytes(object array) => array switch
    {
        byte[] a => a,
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new InvalidOperationException($"{array.GetType().Name} is not a GGUF array"),
    };
}
