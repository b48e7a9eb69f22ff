using Loom.Tensors;

namespace Loom.Tests.Tensors;

/// <summary>
/// f32 weights go through the GEMM as panels packed once (<see cref="PackedWeights"/>); other types are decoded and
/// transposed per call. Both must compute the same FMA chains: with weights exactly representable in f16, the packed f32
/// product and the per-call f16 product are bit-identical, and both match the float64 reference on odd shapes.
/// </summary>
[Collection(KernelPathCollection.Name)]
public class PackedWeightsTests
{
    [Theory]
    [InlineData(1, 1, 4)]
    [InlineData(7, 33, 16)]
    [InlineData(33, 257, 32)]
    [InlineData(45, 4097, 32)]
    [InlineData(70, 600, 4)]
    public void PanelsHoldEveryWeightWherePanelAddressesIt(int n, int k, int nr)
    {
        var rng = new Random(n * 31 + k);
        var values = MatMulTests.RandomValues(rng, n * k);
        var packed = PackedWeights.Create(WeightMatrix.FromFloats(values, n, k), nr);
        Assert.Equal((n + nr - 1) / nr * nr, packed.PaddedColumns);
        unsafe
        {
            for (int k0 = 0; k0 < k; k0 += Gemm.KC)
            {
                int kc = Math.Min(Gemm.KC, k - k0);
                for (int j0 = 0; j0 < packed.PaddedColumns; j0 += nr)
                {
                    float* panel = packed.Panel(k0, j0);
                    for (int p = 0; p < kc; p++)
                        for (int lane = 0; lane < nr; lane++)
                        {
                            int j = j0 + lane;
                            float expected = j < n ? values[j * k + k0 + p] : 0f;
                            Assert.Equal(expected, panel[p * nr + lane]);
                        }
                }
            }
        }
    }

    public static TheoryData<KernelPath> Paths() => KernelPathCollection.Paths();

    [Theory]
    [MemberData(nameof(Paths))]
    public void PackedF32AndPerCallF16AreBitIdenticalAndMatchFloat64(KernelPath path)
    {
        var rng = new Random(99);
        foreach (var (m, n, k) in new[] { (2, 1, 1), (7, 33, 7), (33, 45, 33), (13, 7, 4097), (40, 70, 600) })
        {
            // Values that f16 holds exactly: the two weight types decode to the same floats.
            var values = MatMulTests.RandomValues(rng, n * k).Select(v => (float)(Half)v).ToArray();
            var f32 = WeightMatrix.FromFloats(values, n, k);
            var f16 = new WeightMatrix(GgmlType.F16, n, k, Quantization.Quantize(GgmlType.F16, values));
            var x = MatMulTests.RandomValues(rng, m * k);
            var bias = MatMulTests.RandomValues(rng, n);
            var packed = new float[m * n];
            var perCall = new float[m * n];
            KernelPathCollection.On(path, () =>
            {
                MatMul.Multiply(x, m, f32, bias, packed, threads: 2);
                MatMul.Multiply(x, m, f16, bias, perCall, threads: 1);
            });
            Assert.Equal(perCall, packed);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = bias[j], magnitude = Math.Abs(bias[j]);
                    for (int p = 0; p < k; p++)
                    {
                        double t = (double)x[i * k + p] * values[j * k + p];
                        sum += t;
                        magnitude += Math.Abs(t);
                    }
                    double err = Math.Abs(packed[i * n + j] - sum);
                    Assert.True(err <= 1e-5 * magnitude, $"m={m} n={n} k={k} on {path}: y[{i},{j}] = {packed[i * n + j]}, reference {sum}, error {err:E2}");
                }
        }
    }

    /// <summary>The bias is added after the last slice, in the kernel: the same rounding as adding it to the finished product.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void FusedBiasEqualsAddingItAfterwards(KernelPath path)
    {
        var rng = new Random(5);
        int m = 29, n = 77, k = 530;
        var w = WeightMatrix.FromFloats(MatMulTests.RandomValues(rng, n * k), n, k);
        var x = MatMulTests.RandomValues(rng, m * k);
        var bias = MatMulTests.RandomValues(rng, n, 10);
        var fused = new float[m * n];
        var after = new float[m * n];
        KernelPathCollection.On(path, () =>
        {
            MatMul.Multiply(x, m, w, bias, fused);
            MatMul.Multiply(x, m, w, after);
        });
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) after[i * n + j] += bias[j];
        Assert.Equal(after, fused);
    }

    /// <summary>One matrix used on every path in turn: the cached panels are rebuilt for each path's panel width.</summary>
    [Fact]
    public void OneMatrixServesEveryPath()
    {
        var rng = new Random(8);
        int m = 19, n = 50, k = 300;
        var w = WeightMatrix.FromFloats(MatMulTests.RandomValues(rng, n * k), n, k);
        var x = MatMulTests.RandomValues(rng, m * k);
        var results = new List<float[]>();
        foreach (var path in Enum.GetValues<KernelPath>().Where(Kernels.IsSupported).Concat([KernelPath.Scalar]))
        {
            var y = new float[m * n];
            KernelPathCollection.On(path, () => MatMul.Multiply(x, m, w, y));
            results.Add(y);
        }
        Assert.Equal(results[0], results[^1]); // scalar, before and after the other paths replaced its panels
        foreach (var y in results)
            for (int i = 0; i < m * n; i++) Assert.Equal(results[0][i], y[i], 1e-3f);
    }

    [Fact]
    public void WeightsFromAFileAreNotPackedAndGiveTheSameBits()
    {
        var rng = new Random(9);
        int m = 13, n = 37, k = 520;
        var values = MatMulTests.RandomValues(rng, n * k);
        var packed = WeightMatrix.FromFloats(values, n, k);
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        var fromFile = new WeightMatrix(GgmlType.F32, n, k, bytes); // as GGUF / safetensors readers make them
        Assert.True(packed.PackForRepeatedProducts);
        Assert.False(fromFile.PackForRepeatedProducts);
        var x = MatMulTests.RandomValues(rng, m * k);
        float[] a = new float[m * n], b = new float[m * n];
        MatMul.Multiply(x, m, packed, a);
        MatMul.Multiply(x, m, fromFile, b);
        Assert.Equal(a, b);
        Assert.True(packed.HasPackedCopy);
        Assert.False(fromFile.HasPackedCopy);
    }
}
