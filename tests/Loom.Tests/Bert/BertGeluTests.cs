using Loom.Models.Bert;

namespace Loom.Tests.Bert;

/// <summary>The encoder's f32 GELU against a float64 reference (Taylor series of erf below 2.5, continued fraction of erfc above).</summary>
public class BertGeluTests
{
    [Fact]
    public void MatchesFloat64ReferenceWithinTheStatedBound()
    {
        var xs = Enumerable.Range(-12_000, 24_001).Select(i => i / 1000f).Concat([0f, -0f, 1e-30f, -1e-30f, 30f, -30f]).ToArray();
        var vectorised = (float[])xs.Clone();
        BertGelu.InPlace(vectorised);
        double worst = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            double expected = 0.5 * xs[i] * Erfc(-xs[i] / Math.Sqrt(2));
            double error = Math.Abs(vectorised[i] - expected);
            worst = Math.Max(worst, error / (1 + Math.Abs(xs[i])));
            Assert.Equal(BertGelu.Scalar(xs[i]), vectorised[i], 1e-6f * (1 + Math.Abs(xs[i])));
        }
        Assert.True(worst <= 1.5e-7, $"worst error {worst:E2} × (1 + |x|)");
    }

    private static double Erfc(double z) => z < 0 ? 2 - Erfc(-z) : z < 2.5 ? 1 - ErfSeries(z) : ErfcContinuedFraction(z);

    private static double ErfSeries(double z)
    {
        double sum = 0, term = z;
        for (int n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -z * z / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static double ErfcContinuedFraction(double z)
    {
        double f = z;
        for (int n = 80; n >= 1; n--) f = z + n / 2.0 / f;
        return Math.Exp(-z * z) / Math.Sqrt(Math.PI) / f;
    }
}
