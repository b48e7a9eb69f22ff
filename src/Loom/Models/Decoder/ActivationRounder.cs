using Loom.Tensors;

namespace Loom.Models.Decoder;

/// <summary>
/// Rounds activations the way llama.cpp's CPU backend does before its dot products (see
/// <see cref="ActivationRounding.LlamaCpp"/>): each row is encoded to the weight type's "vec_dot" partner type and decoded back.
/// Buffers grow to the largest batch and are reused.
/// </summary>
internal sealed class ActivationRounder
{
    private float[] _values = [];
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
        if (_values.Length < rows * cols) _values = new float[rows * cols];
        int rowBytes = (int)GgmlTypes.TryByteCount(type, cols);
        if (_blocks.Length < rowBytes) _blocks = new byte[rowBytes];
        for (int r = 0; r < rows; r++)
        {
            Quantization.Quantize(type, x.Slice(r * cols, cols), _blocks.AsSpan(0, rowBytes));
            Quantization.Dequantize(type, _blocks.AsSpan(0, rowBytes), _values.AsSpan(r * cols, cols));
        }
        return _values.AsSpan(0, rows * cols);
    }

    /// <summary>GELU (tanh form) of the input rounded to f16, the result rounded to f16: llama.cpp's lookup table.</summary>
    public static void GeluThroughHalf(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            if (v <= -10) { x[i] = 0; continue; }
            if (v >= 10) continue;
            double h = (double)(Half)v;
            x[i] = (float)(Half)(0.5 * h * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (h + 0.044715 * h * h * h))));
        }
    }
}
