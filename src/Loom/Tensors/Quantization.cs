namespace Loom.Tensors;

/// <summary>
/// Conversion between f32 values and every <see cref="GgmlType"/> block format Loom multiplies
/// (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, Q8_K), bit for bit as GGUF/ggml lay the blocks out.
/// The legacy quantizers round as ggml's reference quantizer does; the K-quant quantizers use a simpler
/// min/max scale search (the format, not the search, is what files must agree on).
/// </summary>
public static partial class Quantization
{
    /// <summary>True for the types <see cref="Quantize"/> and <see cref="Dequantize"/> handle.</summary>
    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0
        or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K;

    /// <summary>
    /// Encodes <paramref name="source"/> (a whole number of blocks) into <paramref name="destination"/>, which must be
    /// exactly <c>GgmlTypes.TryByteCount(type, source.Length)</c> bytes.
    /// </summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        CheckSizes(type, source.Length, destination.Length);
        switch (type)
        {
            case GgmlType.F32: System.Runtime.InteropServices.MemoryMarshal.AsBytes(source).CopyTo(destination); break;
            case GgmlType.F16: QuantizeF16(source, destination); break;
            case GgmlType.BF16: QuantizeBF16(source, destination); break;
            case GgmlType.Q4_0: QuantizeQ4_0(source, destination); break;
            case GgmlType.Q4_1: QuantizeQ4_1(source, destination); break;
            case GgmlType.Q5_0: QuantizeQ5_0(source, destination); break;
            case GgmlType.Q5_1: QuantizeQ5_1(source, destination); break;
            case GgmlType.Q8_0: QuantizeQ8_0(source, destination); break;
            case GgmlType.Q4_K: QuantizeQ4_K(source, destination); break;
            case GgmlType.Q5_K: QuantizeQ5_K(source, destination); break;
            case GgmlType.Q6_K: QuantizeQ6_K(source, destination); break;
            case GgmlType.Q8_K: QuantizeQ8_K(source, destination); break;
        }
    }

    /// <summary>Encodes <paramref name="source"/> into a new array of <paramref name="type"/> blocks.</summary>
    public static byte[] Quantize(GgmlType type, ReadOnlySpan<float> source)
    {
        long bytes = GgmlTypes.TryByteCount(type, source.Length);
        if (bytes < 0 || bytes > Array.MaxLength)
            throw new ArgumentException($"{source.Length} values are not a whole number of {type} blocks", nameof(source));
        var result = new byte[bytes];
        Quantize(type, source, result);
        return result;
    }

    /// <summary>
    /// Decodes <paramref name="source"/> (whole <paramref name="type"/> blocks) into <paramref name="destination"/>,
    /// whose length is the number of values the blocks hold.
    /// </summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        CheckSizes(type, destination.Length, source.Length);
        DequantizeBlocks(type, source, destination, Kernels.Path);
    }

    private static void CheckSizes(GgmlType type, int values, int bytes)
    {
        if (!IsSupported(type)) throw new NotSupportedException($"quantization to {type} is not supported");
        long expected = GgmlTypes.TryByteCount(type, values);
        if (expected < 0)
            throw new ArgumentException($"{values} values are not a whole number of {type} blocks ({GgmlTypes.BlockSize(type)})");
        if (expected != bytes) throw new ArgumentException($"{values} {type} values take {expected} bytes, not {bytes}");
    }

    /// <summary>Decodes whole blocks without checking sizes (the caller has), vectorised on <paramref name="path"/>.</summary>
    internal static void DequantizeBlocks(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination, KernelPath path)
    {
        if (DequantizeVectorised(type, source, destination, path)) return;
        switch (type)
        {
            case GgmlType.F32: source.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination)); break;
            case GgmlType.F16: DequantizeF16(source, destination, path); break;
            case GgmlType.BF16: DequantizeBF16(source, destination, path); break;
            case GgmlType.Q4_0: DequantizeQ4_0(source, destination, path); break;
            case GgmlType.Q4_1: DequantizeQ4_1(source, destination); break;
            case GgmlType.Q5_0: DequantizeQ5_0(source, destination); break;
            case GgmlType.Q5_1: DequantizeQ5_1(source, destination); break;
            case GgmlType.Q8_0: DequantizeQ8_0(source, destination, path); break;
            case GgmlType.Q4_K: DequantizeQ4_K(source, destination); break;
            case GgmlType.Q5_K: DequantizeQ5_K(source, destination); break;
            case GgmlType.Q6_K: DequantizeQ6_K(source, destination); break;
            case GgmlType.Q8_K: DequantizeQ8_K(source, destination); break;
            default: throw new NotSupportedException($"dequantization of {type} is not supported");
        }
    }

    private static float Half(ReadOnlySpan<byte> bytes, int offset) =>
        HalfToSingle(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]));

    private static void WriteHalf(Span<byte> bytes, int offset, float value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes[offset..], BitConverter.HalfToUInt16Bits((Half)value));
}
