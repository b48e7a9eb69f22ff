using Loom.Tensors;

namespace Loom.Tests.Tensors;

/// <summary>
/// Activations against float64 references computed independently here: Φ by a positive-term series (|z| &lt; 3) or a
/// continued fraction for erfc (|z| ≥ 3). Tolerances are relative to the result: exact GELU ≤ 1.2e-7 (≈ 1 ulp of f32, as the
/// kernel works in f64), tanh-GELU and SiLU ≤ 1e-6 (f32 sigmoid;
/// for tanh-GELU plus 3 roundings (3.6e-7) × |sigmoid argument|: the f32 argument's rounding, amplified).
/// </summary>
[Collection(KernelPathCollection.Name)]
public class ActivationTests
{
    private static float[] Inputs(int n)
    {
        var rng = new Random(n);
        var x = MatMulTests.RandomValues(rng, n, scale: 12);
        float[] special = [0f, -0f, 1e-30f, -1e-30f, -9.5f, -5f, -3f, 3f, 0.84375f * 1.4142135f, -1.25f * 1.4142135f, 40f, -40f];
        for (int i = 0; i < Math.Min(n, special.Length); i++) x[i] = special[i];
        return x;
    }

    public static TheoryData<KernelPath, int> PathsAndSizes()
    {
        var data = new TheoryData<KernelPath, int>();
        foreach (var path in KernelPathCollection.Paths())
            foreach (int n in new[] { 1, 7, 33, 4097 }) data.Add(path, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndSizes))]
    public void GeluIsExactToAnUlp(KernelPath path, int n)
    {
        var x = Inputs(n);
        var y = (float[])x.Clone();
        KernelPathCollection.On(path, () => Activations.Gelu(y));
        for (int i = 0; i < n; i++)
            AssertRelative(x[i] * Phi(x[i]), y[i], 1.2e-7, $"GELU({x[i]})");
    }

    [Fact]
    public void GeluKeepsNaN()
    {
        var y = new float[] { float.NaN, 1, 2, 3, 4, 5, 6, 7, float.NaN };
        Activations.Gelu(y);
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[8]));
    }

    [Theory]
    [MemberData(nameof(PathsAndSizes))]
    public void GeluTanhAndSiluMatchFloat64(KernelPath path, int n)
    {
        var x = Inputs(n);
        var g = (float[])x.Clone();
        var s = (float[])x.Clone();
        KernelPathCollection.On(path, () =>
        {
            Activations.GeluTanh(g);
            Activations.Silu(s);
        });
        for (int i = 0; i < n; i++)
        {
            double v = x[i];
            // v/2 · (1 + tanh u) written as v / (1 + e^(−2u)): the same function, without cancellation in f64 for v ≪ 0
            double u = Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v);
            // f32 rounding of the sigmoid's argument 2u is amplified by its size in the far negative tail
            AssertRelative(v / (1 + Math.Exp(-2 * u)), g[i], 1e-6 + 3.6e-7 * Math.Abs(2 * u), $"GeluTanh({v})");
            AssertRelative(v / (1 + Math.Exp(-v)), s[i], 1e-6, $"Silu({v})");
        }
    }

    private static void AssertRelative(double expected, float actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected) + 1e-36 /* f32 exp/sigmoid flush results near the subnormal range to 0 */, $"{what} = {actual}, reference {expected}");

    /// <summary>Standard normal CDF in float64.</summary>
    private static double Phi(double x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2);
        double erfc;
        if (z < 3)
        {
            // erf z = 2/√π · e^(−z²) · Σ 2ⁿ z^(2n+1) / (1·3·…·(2n+1)), all terms positive
            double term = z, sum = z;
            for (int n = 1; n < 200 && term > 1e-18 * sum; n++) sum += term *= 2 * z * z / (2 * n + 1);
            erfc = 1 - 2 / Math.Sqrt(Math.PI) * Math.Exp(-z * z) * sum;
        }
        else
        {
            // erfc z = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), evaluated from the tail
            double f = z;
            for (int n = 300; n >= 1; n--) f = z + n / 2.0 / f;
            erfc = Math.Exp(-z * z) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? erfc / 2 : 1 - erfc / 2;
    }
}
