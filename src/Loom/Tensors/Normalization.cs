using System.Numerics.Tensors;

namespace Loom.Tensors;

/// <summary>LayerNorm and RmsNorm over each row of length <c>gamma.Length</c> (x and y may be the same span).</summary>
public static class Normalization
{
    /// <summary>y = (x − mean) / sqrt(var + eps) · gamma + beta, per row (biased variance, as PyTorch and ggml).</summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        int d = gamma.Length;
        CheckShapes(x, d, y);
        if (beta.Length != d) throw new ArgumentException($"beta has {beta.Length} values, gamma {d}", nameof(beta));
        for (int r = 0; r < x.Length / d; r++)
        {
            var xr = x.Slice(r * d, d);
            var yr = y.Slice(r * d, d);
            // Centre twice: the f32 mean of values with a large common offset is off by a few ulp of the offset;
            // the second pass removes that residual exactly enough, then the variance has no cancellation.
            TensorPrimitives.Subtract(xr, TensorPrimitives.Sum(xr) / d, yr);
            TensorPrimitives.Subtract(yr, TensorPrimitives.Sum(yr) / d, yr);
            float inv = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yr) / d + eps);
            TensorPrimitives.Multiply(yr, inv, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, gamma, beta, yr);
        }
    }

    /// <summary>y = x / sqrt(mean(x²) + eps) · weight, per row.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int d = weight.Length;
        CheckShapes(x, d, y);
        for (int r = 0; r < x.Length / d; r++)
        {
            var xr = x.Slice(r * d, d);
            var yr = y.Slice(r * d, d);
            float inv = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xr) / d + eps);
            TensorPrimitives.Multiply(xr, inv, yr);
            TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    private static void CheckShapes(ReadOnlySpan<float> x, int d, Span<float> y)
    {
        if (d == 0) throw new ArgumentException("the normalised dimension is empty");
        if (x.Length % d != 0) throw new ArgumentException($"x holds {x.Length} values, not whole rows of {d}", nameof(x));
        if (y.Length < x.Length) throw new ArgumentException($"y holds {y.Length} values, fewer than x's {x.Length}", nameof(y));
    }
}
