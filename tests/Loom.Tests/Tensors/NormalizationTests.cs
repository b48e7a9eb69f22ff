using Loom.Tensors;

namespace Loom.Tests.Tensors;

/// <summary>LayerNorm and RmsNorm against float64. Tolerance: |y − y_ref| ≤ 1e-5 · (|y_ref| + 1) per entry
/// (normalised values are O(1); inputs carry a large common offset to catch one-pass variance cancellation).</summary>
public class NormalizationTests
{
    public static TheoryData<int> Sizes() => [1, 7, 33, 4097];

    [Theory]
    [MemberData(nameof(Sizes))]
    public void LayerNormMatchesFloat64(int d)
    {
        var rng = new Random(d);
        int rows = 3;
        var x = MatMulTests.RandomValues(rng, rows * d);
        for (int i = 0; i < x.Length; i++) x[i] += 300; // mean far from 0
        var gamma = MatMulTests.RandomValues(rng, d);
        var beta = MatMulTests.RandomValues(rng, d);
        var y = new float[rows * d];
        Normalization.LayerNorm(x, gamma, beta, 1e-5f, y);
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < d; i++) mean += x[r * d + i];
            mean /= d;
            for (int i = 0; i < d; i++) var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
            double inv = 1 / Math.Sqrt(var / d + 1e-5);
            for (int i = 0; i < d; i++)
            {
                double expected = (x[r * d + i] - mean) * inv * gamma[i] + beta[i];
                Assert.True(Math.Abs(y[r * d + i] - expected) <= 1e-5 * (Math.Abs(expected) + 1), $"d={d} y[{r},{i}] = {y[r * d + i]}, reference {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RmsNormMatchesFloat64InPlace(int d)
    {
        var rng = new Random(d + 7);
        int rows = 3;
        var x = MatMulTests.RandomValues(rng, rows * d, scale: 50);
        var weight = MatMulTests.RandomValues(rng, d);
        var y = (float[])x.Clone();
        Normalization.RmsNorm(y, weight, 1e-6f, y);
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double)x[r * d + i] * x[r * d + i];
            double inv = 1 / Math.Sqrt(ss / d + 1e-6);
            for (int i = 0; i < d; i++)
            {
                double expected = x[r * d + i] * inv * weight[i];
                Assert.True(Math.Abs(y[r * d + i] - expected) <= 1e-5 * (Math.Abs(expected) + 1), $"d={d} y[{r},{i}] = {y[r * d + i]}, reference {expected}");
            }
        }
    }

    [Fact]
    public void RefusesMismatchedShapes()
    {
        Assert.Throws<ArgumentException>(() => Normalization.RmsNorm(new float[7], new float[3], 1e-6f, new float[7]));
        Assert.Throws<ArgumentException>(() => Normalization.LayerNorm(new float[6], new float[3], new float[2], 1e-6f, new float[6]));
        Assert.Throws<ArgumentException>(() => Normalization.LayerNorm(new float[6], new float[3], new float[3], 1e-6f, new float[5]));
    }
}
