using System.Numerics.Tensors;

namespace Loom.Tensors;

/// <summary>LayerNorm and RmsNorm over each row of length <c>gamma.Length</c>.</summary>
public static class Normalization
{
    /// <summary>y = (x − mean) / sqrt(var + eps) · gamma + beta, per row.</summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        int d = gamma.Length;
        for (int r = 0; r < x.Length / d; r++)
        {
            var xr = x.Slice(r * d, d);
            var yr = y.Slice(r * d, d);
            float mean = TensorPrimitives.Sum(xr) / d;
            float var = 0;
            foreach (var v in xr) var += (v - mean) * (v - mean);
            float inv = 1f / MathF.Sqrt(var / d + eps);
            for (int i = 0; i < d; i++) yr[i] = (xr[i] - mean) * inv * gamma[i] + beta[i];
        }
    }

    /// <summary>y = x / sqrt(mean(x²) + eps) · weight, per row.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int d = weight.Length;
        for (int r = 0; r < x.Length / d; r++)
        {
            var xr = x.Slice(r * d, d);
            var yr = y.Slice(r * d, d);
            float inv = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xr) / d + eps);
            for (int i = 0; i < d; i++) yr[i] = xr[i] * inv * weight[i];
        }
    }
}
