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
