using Loom.Tensors;

namespace Loom.Tests.Tensors;

/// <summary>Softmax against a float64 reference. Tolerance: |p − p_ref| ≤ 1e-5 · p_ref + 1e-9 per entry
/// (f32 exp of arguments up to ~40 in magnitude, then normalised).</summary>
public class SoftmaxTests
{
    public static TheoryData<int> Lengths() => [1, 7, 8, 12, 33, 4097]; // vector body, vector tail, scalar-only rows

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MatchesFloat64Reference(int n)
    {
        var rng = new Random(n);
        foreach (float offset in new[] { 0f, 1000f, -1000f }) // the row maximum is subtracted: large offsets neither overflow nor underflow
        {
            var row = MatMulTests.RandomValues(rng, n, scale: 20);
            for (int i = 0; i < n; i++) row[i] += offset;
            var expected = Reference(row, n);
            Softmax.InPlace(row);
            AssertClose(expected, row);
        }
    }

    /// <summary>The vector exp of non-positive arguments (softmax, the encoder's GELU) against float64 exp on 1.7 M evenly spread points of
    /// [−87.3, 0]: relative error ≤ 3e-7 (a few f32 ulps); 0 below the normal range and for −∞; NaN stays NaN.</summary>
    [Fact]
    public void ExpOfNonPositiveArgumentsMatchesFloat64()
    {
        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported) return; // the scalar path is MathF.Exp
        double worst = 0;
        var lanes = new float[8];
        for (int i = 0; i <= 1 << 21; i += 8)
        {
            for (int j = 0; j < 8; j++) lanes[j] = -87.3f * Math.Min(i + j, 1 << 21) / (1 << 21);
            var e = VectorExp.NonPositive(System.Runtime.Intrinsics.Vector256.Create<float>(lanes));
            for (int j = 0; j < 8; j++)
            {
                double expected = Math.Exp(lanes[j]);
                worst = Math.Max(worst, Math.Abs(e[j] - expected) / expected);
            }
        }
        Assert.True(worst <= 3e-7, $"worst relative error {worst:E2}");
        var special = VectorExp.NonPositive(System.Runtime.Intrinsics.Vector256.Create(float.NegativeInfinity, -1000f, -88f, float.NaN, 0f, -1e-30f, -0.5f, -87.2f));
        Assert.Equal([0f, 0f, 0f], new[] { special[0], special[1], special[2] });
        Assert.True(float.IsNaN(special[3]));
        Assert.Equal(1f, special[4]);
        Assert.Equal(1f, special[5]);
        Assert.Equal(Math.Exp(-0.5), special[6], 1e-7);
        Assert.True(special[7] > 0 && Math.Abs(special[7] - Math.Exp(-87.2f)) / Math.Exp(-87.2f) < 1e-6);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ValidLengthHidesTheRest(int n)
    {
        var rng = new Random(n + 1);
        var row = MatMulTests.RandomValues(rng, n, scale: 5);
        int valid = (n + 1) / 2;
        var expected = Reference(row, valid);
        Softmax.InPlace(row, valid);
        AssertClose(expected, row);
    }

    [Fact]
    public void AdditiveMaskAndFullyMaskedRows()
    {
        var rng = new Random(3);
        var row = MatMulTests.RandomValues(rng, 33, scale: 5);
        var mask = new float[33];
        for (int i = 0; i < 33; i += 3) mask[i] = float.NegativeInfinity;
        var shifted = row.Select((v, i) => v + mask[i]).ToArray();
        var expected = Reference(shifted, 33);
        Softmax.InPlace(row, mask);
        AssertClose(expected, row);
        for (int i = 0; i < 33; i += 3) Assert.Equal(0f, row[i]);

        var hidden = new float[7];
        Softmax.InPlace(hidden, Enumerable.Repeat(float.NegativeInfinity, 7).ToArray());
        Assert.All(hidden, v => Assert.Equal(0f, v));
        var none = new float[] { 1, 2, 3 };
        Softmax.InPlace(none, 0);
        Assert.All(none, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void CausalRowsSeeOnlyEarlierKeys()
    {
        var rng = new Random(4);
        int rows = 5, cols = 9; // 4 cached keys, 5 new queries
        var scores = MatMulTests.RandomValues(rng, rows * cols, scale: 5);
        var copy = (float[])scores.Clone();
        Softmax.Causal(scores, rows, cols);
        for (int i = 0; i < rows; i++)
        {
            int visible = cols - rows + i + 1;
            AssertClose(Reference(copy.AsSpan(i * cols, cols).ToArray(), visible), scores.AsSpan(i * cols, cols).ToArray());
        }
    }

    /// <summary>Softmax over the first <paramref name="valid"/> entries in float64, zeros after.</summary>
    private static double[] Reference(float[] row, int valid)
    {
        var p = new double[row.Length];
        double max = double.NegativeInfinity;
        for (int i = 0; i < valid; i++) max = Math.Max(max, row[i]);
        double sum = 0;
        for (int i = 0; i < valid; i++) sum += p[i] = Math.Exp(row[i] - max);
        for (int i = 0; i < valid; i++) p[i] /= sum;
        return p;
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * expected[i] + 1e-9, $"p[{i}] = {actual[i]}, reference {expected[i]}");
    }
}
