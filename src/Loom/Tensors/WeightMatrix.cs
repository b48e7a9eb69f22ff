namespace Loom.Tensors;

/// <summary>
/// A weight matrix of <see cref="Rows"/> output features × <see cref="Cols"/> input features, stored row by row
/// in its file type (f32, f16, bf16 or quantized blocks), as GGUF and llama.cpp store linear layers.
/// The bytes may live in a memory-mapped file; nothing is expanded to f32.
/// </summary>
public sealed class WeightMatrix
{
    public WeightMatrix(GgmlType type, int rows, int cols, ReadOnlyMemory<byte> data)
    {
        if (rows <= 0 || cols <= 0) throw new ArgumentOutOfRangeException(nameof(rows), "a weight matrix needs positive dimensions");
        if (!GgmlTypes.IsSupported(type)) throw new NotSupportedException($"weights of type {type} are not supported");
        if (cols % GgmlTypes.BlockSize(type) != 0)
            throw new ArgumentException($"{cols} columns are not a whole number of {type} blocks ({GgmlTypes.BlockSize(type)})", nameof(cols));
        long rowBytes = GgmlTypes.TryByteCount(type, cols);
        if (rowBytes < 0 || rowBytes * rows != data.Length)
            throw new ArgumentException($"{type} [{rows} × {cols}] needs {rowBytes * rows} bytes, got {data.Length}", nameof(data));
        Type = type;
        Rows = rows;
        Cols = cols;
        RowBytes = (int)rowBytes;
        Data = data;
    }

    public GgmlType Type { get; }
    public int Rows { get; }
    public int Cols { get; }
    public int RowBytes { get; }
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>
    /// Keep a copy of the weights in the GEMM's panel layout (f32 panels; for Q8_0/Q4_0 the integer product's int8
    /// panels), built on the first multi-row product, so that repeated products (every batch of an encoder) skip
    /// re-laying them out. Costs one more copy of the matrix, so it is off for weights read from a file (a memory-mapped
    /// model would double its memory); <see cref="FromFloats"/> and the encoder's quantized copies turn it on.
    /// </summary>
    public bool PackForRepeatedProducts { get; init; }

    private PackedWeights? _packed;

    /// <summary>Whether the packed copy exists (for tests of the memory rule above).</summary>
    internal bool HasPackedCopy => _packed is not null;

    /// <summary>These weights as f32 GEMM panels <paramref name="nr"/> columns wide, built on first use and kept
    /// (a race builds them twice, harmlessly).</summary>
    internal PackedWeights Packed(int nr)
    {
        var packed = _packed;
        if (packed is null || packed.Nr != nr) _packed = packed = PackedWeights.Create(this, nr);
        return packed;
    }

    private int _halvesFinite; // 0 unknown, 1 yes, 2 no

    /// <summary>F16 weights only: true when no value is Inf or NaN, so the matrix-vector product may take its short
    /// conversion. Found by one pass over the bytes on first use (≈ 30 ms per GB) and kept.</summary>
    internal bool HalvesAreFinite
    {
        get
        {
            if (_halvesFinite == 0) _halvesFinite = Quantization.HalvesAreFinite(Data.Span) ? 1 : 2;
            return _halvesFinite == 1;
        }
    }

    private byte[]? _int8Panels;

    /// <summary>Q8_0/Q4_0 weights laid out as <see cref="Int8MatMul"/>'s packed panels, built by <paramref name="pack"/>
    /// on first use and kept (a race builds them twice, harmlessly).</summary>
    internal byte[] Int8Panels(Func<WeightMatrix, byte[]> pack) => _int8Panels ??= pack(this);

    /// <summary>Wraps f32 values, row-major [rows × cols] (a copy on the heap already, so packed for repeated products).</summary>
    public static WeightMatrix FromFloats(float[] values, int rows, int cols)
    {
        if ((long)rows * cols != values.Length) throw new ArgumentException("values do not match rows × cols", nameof(values));
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new WeightMatrix(GgmlType.F32, rows, cols, bytes) { PackForRepeatedProducts = true };
    }
}
