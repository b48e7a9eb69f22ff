using Loom.Tensors;

namespace Loom.Tests.Tensors;

/// <summary>
/// The integer product (x rounded to Q8_0 blocks, exact int8 dot products) against a float64 evaluation of the same
/// quantized math, written here from llama.cpp's definition: per 32 values d = f16(amax / 127), q = round-half-even(x · (127 / amax)).
/// Tolerance: |y − y_ref| ≤ 1e-6 · Σ_p |x̂_p · w_p| (only the f32 sum over blocks rounds). Every path gives the same bits.
/// </summary>
[Collection(KernelPathCollection.Name)]
public class Int8MatMulTests
{
    public static TheoryData<KernelPath, GgmlType> PathsAndTypes()
    {
        var data = new TheoryData<KernelPath, GgmlType>();
        foreach (var path in KernelPathCollection.Paths())
            foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0 })
                data.Add(path, type);
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndTypes))]
    public void MatchesFloat64ReferenceOfTheQuantizedMath(KernelPath path, GgmlType type)
    {
        var rng = new Random(99 + (int)type);
        foreach (var (m, n, k) in new[] { (1, 7, 32), (1, 33, 544), (5, 9, 96), (8, 16, 256), (13, 37, 320) })
        {
            var (w, _) = MatMulTests.RandomWeights(rng, type, n, k);
            var x = MatMulTests.RandomValues(rng, m * k, scale: 3);
            var y = new float[m * n];
            KernelPathCollection.On(path, () => Int8MatMul.Multiply(x, m, w, [], y, threads: 2));
            var (xq, xd) = ReferenceQ8(x, m, k);
            var (wq, wd) = WeightQuants(w);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int b = 0; b < k / 32; b++)
                    {
                        long dot = 0, abs = 0;
                        for (int p = 32 * b; p < 32 * b + 32; p++)
                        {
                            dot += xq[i * k + p] * wq[j * k + p];
                            abs += Math.Abs(xq[i * k + p] * wq[j * k + p]);
                        }
                        double scale = (double)xd[i * (k / 32) + b] * wd[j * (k / 32) + b];
                        sum += scale * dot;
                        magnitude += Math.Abs(scale) * abs;
                    }
                    double err = Math.Abs(y[i * n + j] - sum);
                    Assert.True(err <= 1e-6 * magnitude + 1e-30, $"{type} m={m} n={n} k={k} on {path}: y[{i},{j}] = {y[i * n + j]}, reference {sum}, error {err:E2}");
                }
        }
    }

    [Fact]
    public void ActivationsRoundAsLlamaCppDefinesIt()
    {
        var rng = new Random(5);
        int m = 3, k = 256;
        var x = MatMulTests.RandomValues(rng, m * k, scale: 2);
        (x[32], x[33], x[34]) = (127, 2.5f, -3.5f); // a block whose scale is 1, with ties (to even: 2 and −4), and an all-zero block
        for (int p = 64; p < 96; p++) x[p] = 0;
        var (xq, xd) = ReferenceQ8(x, m, k);
        foreach (var path in Enum.GetValues<KernelPath>().Where(Kernels.IsSupported))
        {
            float[] rounded = [];
            KernelPathCollection.On(path, () => rounded = Int8MatMul.RoundActivations(x, m, k));
            for (int p = 0; p < m * k; p++) Assert.Equal(xq[p] * xd[p / 32], rounded[p]);
        }
        Assert.Equal((2, -4), (xq[33], xq[34]));
        // Each value is off by at most half a step (amax/127), plus what the f16 scale rounds off each of up to 127 steps.
        for (int b = 0; b < m * k / 32; b++)
        {
            double step = x.Skip(32 * b).Take(32).Max(Math.Abs) / 127.0, bound = 0.5 * step * (1 + 1e-6) + 127 * Math.Abs(xd[b] - step);
            for (int p = 32 * b; p < 32 * b + 32; p++) Assert.True(Math.Abs(x[p] - xq[p] * (double)xd[b]) <= bound);
        }
    }

    /// <summary>Scalar, AVX2 (pmaddubsw) and AVX-VNNI (on the Avx512 path, when the CPU has it) give the same bits, for one row
    /// (generation), tiles and their edges, any thread count, panels packed per call or kept with the matrix; a row's
    /// result does not depend on its batch; bias is added. The 600 × 896 shapes are big enough for the one-row product to use more than one thread.</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0, 35, 160)]
    [InlineData(GgmlType.Q4_0, 35, 160)]
    [InlineData(GgmlType.Q8_0, 600, 896)]
    [InlineData(GgmlType.Q4_0, 600, 896)]
    public void PathsThreadsAndBatchesGiveTheSameBits(GgmlType type, int n, int k)
    {
        var rng = new Random(3);
        int m = 7;
        var (w, _) = MatMulTests.RandomWeights(rng, type, n, k);
        if (type == GgmlType.Q8_0)
        {
            var bytes = w.Data.ToArray();
            for (int j = 2; j < 34; j += 3) bytes[j] = 0x80; // −128: outside what ggml writes, still exact
            w = new WeightMatrix(type, n, k, bytes);
        }
        var x = MatMulTests.RandomValues(rng, m * k);
        var bias = MatMulTests.RandomValues(rng, n);
        var scalar = new float[m * n];
        KernelPathCollection.On(KernelPath.Scalar, () => Int8MatMul.Multiply(x, m, w, bias, scalar, threads: 1));
        var kept = new WeightMatrix(type, n, k, w.Data) { PackForRepeatedProducts = true };
        foreach (var path in Enum.GetValues<KernelPath>().Where(Kernels.IsSupported))
            foreach (int threads in new[] { 1, 2 })
            {
                var y = new float[m * n];
                KernelPathCollection.On(path, () => Int8MatMul.Multiply(x, m, w, bias, y, threads));
                Assert.Equal(scalar, y);
                for (int call = 0; call < 2; call++) // the first call packs and keeps, the second reuses
                {
                    Array.Clear(y);
                    KernelPathCollection.On(path, () => Int8MatMul.Multiply(x, m, kept, bias, y, threads));
                    Assert.Equal(scalar, y);
                }
                for (int r = 0; r < m; r += 3)
                {
                    var one = new float[n];
                    KernelPathCollection.On(path, () => Int8MatMul.Multiply(x.AsSpan(r * k, k), 1, w, bias, one, threads));
                    Assert.Equal(scalar.AsSpan(r * n, n).ToArray(), one);
                }
            }
        var noBias = new float[m * n];
        Int8MatMul.Multiply(x, m, w, [], noBias);
        for (int p = 0; p < m * n; p++) Assert.Equal(scalar[p], noBias[p] + bias[p % n]);
    }

    [Fact]
    public void RefusesOtherTypesAndMismatchedBuffers()
    {
        var f32 = WeightMatrix.FromFloats(new float[64], 2, 32);
        Assert.Throws<NotSupportedException>(() => Int8MatMul.Multiply(new float[32], 1, f32, [], new float[2]));
        var q8 = new WeightMatrix(GgmlType.Q8_0, 2, 32, new byte[68]);
        Assert.Throws<ArgumentException>(() => Int8MatMul.Multiply(new float[31], 1, q8, [], new float[2]));
        Assert.Throws<ArgumentException>(() => Int8MatMul.Multiply(new float[32], 1, q8, [], new float[1]));
        Assert.Throws<ArgumentException>(() => Int8MatMul.Multiply(new float[32], 1, q8, new float[3], new float[2]));
    }

    /// <summary>llama.cpp's Q8_0 rounding of activations, one value at a time.</summary>
    private static (int[] Quants, float[] Scales) ReferenceQ8(float[] x, int m, int k)
    {
        var q = new int[m * k];
        var d = new float[m * k / 32];
        for (int b = 0; b < d.Length; b++)
        {
            float amax = 0;
            for (int p = 32 * b; p < 32 * b + 32; p++) amax = Math.Max(amax, Math.Abs(x[p]));
            float id = amax == 0 ? 0 : 127f / amax;
            d[b] = (float)(Half)(amax / 127f);
            for (int p = 32 * b; p < 32 * b + 32; p++) q[p] = (int)Math.Round((double)(x[p] * id), MidpointRounding.ToEven);
        }
        return (q, d);
    }

    /// <summary>The integer quants and f16 scales of Q8_0 / Q4_0 weight blocks, read from the bytes.</summary>
    private static (int[] Quants, float[] Scales) WeightQuants(WeightMatrix w)
    {
        var bytes = w.Data.Span;
        int blocks = w.Rows * w.Cols / 32, size = w.Type == GgmlType.Q8_0 ? 34 : 18;
        var q = new int[blocks * 32];
        var d = new float[blocks];
        for (int b = 0; b < blocks; b++)
        {
            var block = bytes.Slice(b * size, size);
            d[b] = (float)BitConverter.UInt16BitsToHalf((ushort)(block[0] | block[1] << 8));
            for (int j = 0; j < 32; j++)
                q[32 * b + j] = w.Type == GgmlType.Q8_0 ? (sbyte)block[2 + j] : (j < 16 ? block[2 + j] & 15 : block[2 + j - 16] >> 4) - 8;
        }
        return (q, d);
    }
}
