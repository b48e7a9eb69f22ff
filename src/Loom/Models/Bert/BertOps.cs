using System.Numerics.Tensors;

namespace Loom.Models.Bert;

/// <summary>Row-wise bias and residual additions between the encoder's GEMMs.</summary>
internal static class BertOps
{
    /// <summary>x[r] += bias for every row r.</summary>
    public static void AddBias(Span<float> x, ReadOnlySpan<float> bias)
    {
        int n = bias.Length;
        for (int r = 0; r < x.Length; r += n)
        {
            var row = x.Slice(r, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>x[r] += bias + residual[r] for every row r.</summary>
    public static void AddBiasAndResidual(Span<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual)
    {
        int n = bias.Length;
        TensorPrimitives.Add(x, residual, x);
        for (int r = 0; r < x.Length; r += n)
        {
            var row = x.Slice(r, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }
}
