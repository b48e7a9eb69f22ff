using Loom.Tensors;

namespace Loom.Tests.Tensors;

/// <summary>
/// MatMul against a naive float64 product with the same (dequantised) weights, on every SIMD path.
/// Tolerance: |y − y_ref| ≤ 1e-5 · Σ_p |x_p · w_p| per output — float32 accumulation error relative to the magnitude
/// of the terms summed (the result itself can cancel to ~0).
/// </summary>
[Collection(KernelPathCollection.Name)]
public class MatMulTests
{
    public static TheoryData<KernelPath, GgmlType> PathsAndTypes()
    {
        var data = new TheoryData<KernelPath, GgmlType>();
        foreach (var path in KernelPathCollection.Paths())
            foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
                         GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K })
                data.Add(path, type);
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndTypes))]
    public void MatchesFloat64Reference(KernelPath path, GgmlType type)
    {
        int block = GgmlTypes.BlockSize(type);
        int[] ks = block == 1 ? [1, 7, 33, 96, 4097] : block == 32 ? [32, 96, 544] : [256, 768];
        int[] ms = [1, 7, 8, 33];
        int[] ns = [1, 7, 33, 45];
        var rng = new Random(1234 + (int)type);
        foreach (int k in ks)
            for (int s = 0; s < ms.Length; s++)
            {
                int m = ms[s], n = ns[(s + k) % ns.Length];
                var (w, wf) = RandomWeights(rng, type, n, k);
                var x = RandomValues(rng, m * k);
                var y = new float[m * n];
                KernelPathCollection.On(path, () => MatMul.Multiply(x, m, w, y, threads: 2));
                AssertClose(x, wf, m, n, k, y, $"{type} m={m} n={n} k={k} on {path}");
            }
    }

    [Theory]
    [MemberData(nameof(KernelPathCollection.Paths), MemberType = typeof(KernelPathCollection))]
    public void ManyColumnsAndThreadsGiveTheSameResult(KernelPath path)
    {
        var rng = new Random(7);
        int m = 37, n = 611, k = 512;
        var (w, wf) = RandomWeights(rng, GgmlType.Q4_K, n, k);
        var x = RandomValues(rng, m * k);
        var bias = RandomValues(rng, n);
        var one = new float[m * n];
        var two = new float[m * n];
        KernelPathCollection.On(path, () =>
        {
            MatMul.Multiply(x, m, w, bias, one, threads: 1);
            MatMul.Multiply(x, m, w, bias, two, threads: 2);
        });
        Assert.Equal(one, two);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) one[i * n + j] -= bias[j];
        AssertClose(x, wf, m, n, k, one, $"Q4_K with bias on {path}");
    }

    /// <summary>From two rows on, a row's result is bit-identical whatever batch it is multiplied in
    /// (an encoder's embeddings do not depend on which sentences share the batch).</summary>
    [Theory]
    [MemberData(nameof(KernelPathCollection.Paths), MemberType = typeof(KernelPathCollection))]
    public void RowsDoNotDependOnTheirBatch(KernelPath path)
    {
        var rng = new Random(21);
        int m = 33, n = 70, k = 320;
        foreach (var type in new[] { GgmlType.F32, GgmlType.Q4_0 })
        {
            var (w, _) = RandomWeights(rng, type, n, k);
            var x = RandomValues(rng, m * k);
            var all = new float[m * n];
            KernelPathCollection.On(path, () => MatMul.Multiply(x, m, w, all));
            foreach (var (start, rows) in new[] { (0, 2), (5, 7), (20, 13) })
            {
                var part = new float[rows * n];
                KernelPathCollection.On(path, () => MatMul.Multiply(x.AsSpan(start * k, rows * k), rows, w, part, threads: 1));
                Assert.Equal(all.AsSpan(start * n, rows * n).ToArray(), part);
            }
        }
    }

    /// <summary>The F16 matrix-vector product converts the weights of a matrix without Inf or NaN the short way, and
    /// every other matrix exactly: every class of f16 value — zeros, subnormals (a row of nothing else too), the largest
    /// finite, infinities, NaN — gives what the exact conversion gives, on both routes.</summary>
    [Theory]
    [MemberData(nameof(KernelPathCollection.Paths), MemberType = typeof(KernelPathCollection))]
    public void HalfRowsWithExtremeValuesMatchTheExactConversion(KernelPath path)
    {
        const int k = 96;
        ushort[][] finite =
        [
            [0x0000, 0x8000], [0x0001, 0x8001, 0x03ff, 0x83ff], [0x7bff, 0xfbff, 0x0400], [0x7bff, 0x3c00, 0x7800, 0x0400],
        ];
        ushort[][] special = [[0x7c00], [0xfc00], [0x7e00], [0x7c01, 0xfe00]];
        var rng = new Random(5);
        ushort[] Rows(ushort[][] specials, bool subnormalRow)
        {
            var bits = new ushort[(specials.Length + (subnormalRow ? 1 : 0)) * k];
            for (int r = 0; r < specials.Length; r++)
                for (int c = 0; c < k; c++)
                    bits[r * k + c] = c % 7 == 3 ? specials[r][c / 7 % specials[r].Length] : BitConverter.HalfToUInt16Bits((Half)(rng.NextDouble() * 2 - 1));
            if (subnormalRow)
                for (int c = 0; c < k; c++) bits[specials.Length * k + c] = (ushort)(rng.Next(1, 0x400) | (c % 2 == 0 ? 0x8000 : 0));
            return bits;
        }
        var x = new float[k];
        for (int c = 0; c < k; c++) x[c] = (float)(rng.NextDouble() + 0.5); // positive: an infinite weight gives an infinite sum
        foreach (var bits in new[] { Rows(finite, subnormalRow: true), Rows([.. finite, .. special], subnormalRow: true) })
        {
            int rows = bits.Length / k;
            var w = new WeightMatrix(GgmlType.F16, rows, k, System.Runtime.InteropServices.MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
            var y = new float[rows];
            KernelPathCollection.On(path, () => MatMul.Multiply(x, 1, w, y, threads: 1));
            for (int r = 0; r < rows; r++)
            {
                double sum = 0, magnitude = 0;
                for (int c = 0; c < k; c++)
                {
                    double t = (double)(float)BitConverter.UInt16BitsToHalf(bits[r * k + c]) * x[c];
                    sum += t;
                    magnitude += Math.Abs(t);
                }
                string what = $"row {r} of {rows} on {path}: {y[r]}, reference {sum}";
                if (double.IsNaN(sum)) Assert.True(float.IsNaN(y[r]), what);
                else if (double.IsInfinity(sum)) Assert.True(sum == y[r], what);
                else Assert.True(Math.Abs(y[r] - sum) <= 1e-5 * magnitude + 1e-30, what);
            }
        }
    }

    [Fact]
    public void RefusesMismatchedBuffers()
    {
        var w = WeightMatrix.FromFloats(new float[6], 2, 3);
        Assert.Throws<ArgumentException>(() => MatMul.Multiply(new float[5], 2, w, new float[4]));
        Assert.Throws<ArgumentException>(() => MatMul.Multiply(new float[6], 2, w, new float[3]));
        Assert.Throws<ArgumentException>(() => MatMul.Multiply(new float[6], 2, w, new float[1], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.Multiply(new float[6], -1, w, new float[4]));
    }

    internal static float[] RandomValues(Random rng, int count, float scale = 1)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    /// <summary>Random weights in <paramref name="type"/>, and the f32 values they decode to (by the scalar decoder).</summary>
    internal static (WeightMatrix W, float[] Decoded) RandomWeights(Random rng, GgmlType type, int n, int k)
    {
        var values = RandomValues(rng, n * k);
        var bytes = Quantization.Quantize(type, values);
        var decoded = new float[n * k];
        KernelPathCollection.On(KernelPath.Scalar, () => Quantization.Dequantize(type, bytes, decoded));
        return (new WeightMatrix(type, n, k, bytes), decoded);
    }

    private static void AssertClose(float[] x, float[] w, int m, int n, int k, float[] y, string what)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (double)x[i * k + p] * w[j * k + p];
                    sum += t;
                    magnitude += Math.Abs(t);
                }
                double err = Math.Abs(y[i * n + j] - sum);
                Assert.True(err <= 1e-5 * magnitude + 1e-30, $"{what}: y[{i},{j}] = {y[i * n + j]}, reference {sum}, error {err:E2} > 1e-5 × {magnitude:E2}");
            }
    }
}
