using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Loom.Tensors;

/// <summary>y[m × n] = x[m × k] · Wᵀ, with W [n × k] in its file type (the layout of a linear layer).</summary>
public static class MatMul
{
    /// <param name="x">activations, row-major [m × w.Cols]</param>
    /// <param name="m">number of rows of x</param>
    /// <param name="w">weights [n × k]</param>
    /// <param name="y">output, row-major [m × w.Rows]</param>
    /// <param name="threads">worker threads; 0 = all cores</param>
    public static void Multiply(ReadOnlySpan<float> x, int m, WeightMatrix w, Span<float> y, int threads = 0)
    {
        if (w.Type != GgmlType.F32) throw new NotSupportedException($"MatMul for {w.Type} weights is not implemented yet");
        int n = w.Rows, k = w.Cols;
        var weights = MemoryMarshal.Cast<byte, float>(w.Data.Span);
        for (int i = 0; i < m; i++)
        {
            var xi = x.Slice(i * k, k);
            for (int j = 0; j < n; j++) y[i * n + j] = TensorPrimitives.Dot(xi, weights.Slice(j * k, k));
        }
    }
}
