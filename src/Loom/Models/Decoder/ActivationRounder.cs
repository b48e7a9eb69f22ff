using System.Numerics.Tensors;
using Loom.Tensors;

namespace Loom.Models.Decoder;

/// <summary>
/// Rounds activations the way llama.cpp's CPU backend does before its dot products (see
/// <see cref="ActivationRounding.LlamaCpp"/>) for the weight types without an integer kernel: each row is encoded to the
/// weight type's "vec_dot" partner type and decoded back, and the f32 kernels do the rest. Rounding costs O(rows · cols)
/// against the product's O(rows · cols · n). Buffers grow to the largest batch and are reused.
/// </summary>
internal sealed class ActivationRounder
{
    private float[] _values = [];
    private Half[] _halves = [];
    private byte[] _blocks = [];

    /// <summary>The type llama.cpp rounds activations to before multiplying by weights of <paramref name="weights"/>; null = none.</summary>
    public static GgmlType? RoundingType(GgmlType weights) => weights switch
    {
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 => GgmlType.Q8_0,
        GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => GgmlType.Q8_K,
        _ => null,
    };

    public ReadOnlySpan<float> Round(ReadOnlySpan<float> x, int rows, int cols, GgmlType type)
    {
        int count = rows * cols;
        if (_values.Length < count) _values = new float[count];
        var values = _values.AsSpan(0, count);
        if (type == GgmlType.F16)
        {
            if (_halves.Length < count) _halves = new Half[count];
            TensorPrimitives.ConvertToHalf(x[..count], _halves.AsSpan(0, count));
            TensorPrimitives.ConvertToSingle(_halves.AsSpan(0, count), values);
            return values;
        }
        int rowBytes = (int)GgmlTypes.TryByteCount(type, cols);
        if (_blocks.Length < rowBytes) _blocks = new byte[rowBytes];
        for (int r = 0; r < rows; r++)
        {
            Quantization.Quantize(type, x.Slice(r * cols, cols), _blocks.AsSpan(0, rowBytes));
            Quantization.Dequantize(type, _blocks.AsSpan(0, rowBytes), values.Slice(r * cols, cols));
        }
        return values;
    }

    private static readonly Lazy<float[]> GeluTable = new(() =>
    {
        var table = new float[65536];
        for (int bits = 0; bits < table.Length; bits++)
        {
            double h = (double)BitConverter.UInt16BitsToHalf((ushort)bits);
            table[bits] = (float)(Half)(0.5 * h * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (h + 0.044715 * h * h * h))));
        }
        return table;
    });

    /// <summary>GELU (tanh form) of the input rounded to f16, the result rounded to f16: llama.cpp's lookup table
    /// (outside ±10 it returns 0 or the input, as llama.cpp does).</summary>
    public static void GeluThroughHalf(Span<float> x)
    {
        var table = GeluTable.Value;
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            if (v <= -10) x[i] = 0;
            else if (v < 10) x[i] = table[BitConverter.HalfToUInt16Bits((Half)v)];
        }
    }
}
