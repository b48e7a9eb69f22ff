using Loom.Tensors;

namespace Loom.Tests.Tensors;

/// <summary>RoPE against a float64 rotation written from the definition. Tolerance: 1e-6 · (norm of the head) per value.</summary>
public class RopeTests
{
    [Theory]
    [InlineData(RopeLayout.NeoX, 64, 64, 10000.0)]
    [InlineData(RopeLayout.Interleaved, 64, 64, 10000.0)]
    [InlineData(RopeLayout.NeoX, 32, 80, 1000000.0)]      // partial rotary: only 32 of 80 dimensions turn
    [InlineData(RopeLayout.Interleaved, 2, 7, 500000.0)]
    public void MatchesFloat64Rotation(RopeLayout layout, int dims, int headSize, double theta)
    {
        var rng = new Random(dims + headSize);
        int tokens = 7, heads = 3, start = 100_000;
        var x = MatMulTests.RandomValues(rng, tokens * heads * headSize);
        var y = (float[])x.Clone();
        new Rope(dims, theta, layout).Apply(y, tokens, heads, headSize, start);
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int o = (t * heads + h) * headSize;
                double norm = 0;
                for (int i = 0; i < headSize; i++) norm += x[o + i] * (double)x[o + i];
                norm = Math.Sqrt(norm);
                var expected = new double[headSize];
                for (int i = 0; i < headSize; i++) expected[i] = x[o + i];
                for (int i = 0; i < dims / 2; i++)
                {
                    (int a, int b) = layout == RopeLayout.NeoX ? (i, i + dims / 2) : (2 * i, 2 * i + 1);
                    double angle = (start + t) * Math.Pow(theta, -2.0 * i / dims);
                    expected[a] = x[o + a] * Math.Cos(angle) - x[o + b] * Math.Sin(angle);
                    expected[b] = x[o + b] * Math.Cos(angle) + x[o + a] * Math.Sin(angle);
                }
                for (int i = 0; i < headSize; i++)
                    Assert.True(Math.Abs(y[o + i] - expected[i]) <= 1e-6 * norm, $"{layout} token {t} head {h} dim {i}: {y[o + i]} vs {expected[i]}");
            }
    }

    [Fact]
    public void ScoresDependOnlyOnRelativePosition()
    {
        var rng = new Random(11);
        var rope = new Rope(64, 10000, RopeLayout.NeoX);
        var q = MatMulTests.RandomValues(rng, 64);
        var k = MatMulTests.RandomValues(rng, 64);
        double Score(int pq, int pk)
        {
            var a = (float[])q.Clone();
            var b = (float[])k.Clone();
            rope.Apply(a, 1, 1, 64, pq);
            rope.Apply(b, 1, 1, 64, pk);
            return a.Zip(b, (u, v) => (double)u * v).Sum();
        }
        Assert.Equal(Score(10, 3), Score(1007, 1000), 4);
    }

    [Fact]
    public void LinearScalingDividesEveryFrequency()
    {
        var plain = new Rope(64, 10000);
        var scaled = new Rope(64, 10000, scaling: new RopeScaling.Linear(4));
        for (int i = 0; i < 32; i++) Assert.Equal(plain.InverseFrequency(i) / 4, scaled.InverseFrequency(i), 15);
    }

    [Fact]
    public void Llama3ScalingKeepsHighFrequenciesAndStretchesLowOnes()
    {
        // Llama 3.1 8B: θ = 500 000, head 128, factor 8, low 1, high 4, original context 8192.
        var plain = new Rope(128, 500000);
        var scaled = new Rope(128, 500000, scaling: new RopeScaling.Llama3(8, 1, 4, 8192));
        for (int i = 0; i < 64; i++)
        {
            double f = plain.InverseFrequency(i), wavelength = 2 * Math.PI / f, s = scaled.InverseFrequency(i);
            if (wavelength < 8192 / 4.0) Assert.Equal(f, s);                       // short wavelengths untouched
            else if (wavelength > 8192 / 1.0) Assert.Equal(f / 8, s, 15);           // long ones interpolated ×8
            else Assert.InRange(s, f / 8, f);                                       // a blend in between
        }
        Assert.Equal(plain.InverseFrequency(0), scaled.InverseFrequency(0));
        Assert.Equal(plain.InverseFrequency(63) / 8, scaled.InverseFrequency(63), 15);
    }

    [Fact]
    public void RefusesBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rope(7));
        Assert.Throws<ArgumentException>(() => new Rope(64).Apply(new float[32], 1, 1, 32, 0));
        Assert.Throws<ArgumentException>(() => new Rope(8).Apply(new float[15], 2, 1, 8, 0));
    }
}
