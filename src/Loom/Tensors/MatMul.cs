using System.Numerics.Tensors;

namespace Loom.Tensors;

/// <summary>
/// y[m × n] = x[m × k] · Wᵀ (+ bias), with W [n × k] in its file type — the layout of a linear layer.
/// Quantized and 16-bit weights are decoded on the fly, a block at a time, inside the kernel; nothing is expanded
/// to f32 up front. Work is split over the output columns; the SIMD path is <see cref="Kernels.Path"/>.
/// A single row of x (token-by-token decoding) takes a dot-product path that streams W once; more rows take a packed,
/// register-blocked GEMM whose result for a row does not depend on the other rows (batching is bit-exact), nor on the
/// thread count. The two paths agree to f32 rounding, not bit for bit.
/// </summary>
public static unsafe class MatMul
{
    /// <param name="x">activations, row-major [m × w.Cols]</param>
    /// <param name="m">number of rows of x</param>
    /// <param name="w">weights [n × k]</param>
    /// <param name="y">output, row-major [m × w.Rows]</param>
    /// <param name="threads">worker threads; 0 = all cores</param>
    public static void Multiply(ReadOnlySpan<float> x, int m, WeightMatrix w, Span<float> y, int threads = 0) =>
        Multiply(x, m, w, ReadOnlySpan<float>.Empty, y, threads);

    /// <summary>y = x · Wᵀ + bias, the bias (length n, or empty for none) added to every row.</summary>
    public static void Multiply(ReadOnlySpan<float> x, int m, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int threads = 0)
    {
        threads = CheckOperands(x, m, w, bias, y, threads);
        int n = w.Rows;
        if (m == 0) return;

        using var pin = w.Data.Pin();
        fixed (float* px = x)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            var path = Kernels.Path;
            if (m == 1) Gemv.Run(px, w, (byte*)pin.Pointer, py, threads, path);
            else Gemm.Run(px, m, w, (byte*)pin.Pointer, pb, py, threads, path);
        }
        if (!bias.IsEmpty && m == 1) TensorPrimitives.Add(y[..n], bias, y[..n]); // the GEMM adds it in its last pass
    }

    /// <summary>Checks the operands of y = x · Wᵀ + bias; returns the thread count to use (0 → all cores).</summary>
    internal static int CheckOperands(ReadOnlySpan<float> x, int m, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int threads)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        int n = w.Rows, k = w.Cols;
        if (x.Length < (long)m * k) throw new ArgumentException($"x holds {x.Length} values, fewer than {m} × {k}", nameof(x));
        if (y.Length < (long)m * n) throw new ArgumentException($"y holds {y.Length} values, fewer than {m} × {n}", nameof(y));
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} values, not {n}", nameof(bias));
        return threads == 0 ? Environment.ProcessorCount : threads;
    }

    /// <summary>Runs <paramref name="body"/> for 0..tasks−1 on up to <paramref name="threads"/> threads.</summary>
    internal static void For(int tasks, int threads, Action<int> body)
    {
        if (threads <= 1 || tasks <= 1)
        {
            for (int t = 0; t < tasks; t++) body(t);
            return;
        }
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    [ThreadStatic] private static float[]? scratch;

    /// <summary>A pinned per-thread buffer of at least <paramref name="length"/> floats.</summary>
    internal static float* Scratch(int length)
    {
        if (scratch is null || scratch.Length < length) scratch = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref scratch[0]);
    }
}
