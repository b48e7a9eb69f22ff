using Loom.Tensors;

namespace Loom.Models.Decoder;

/// <summary>
/// Rope scaling given as one divisor per rotated pair — how llama.cpp's GGUF carries Llama 3.1's scaling
/// (the <c>rope_freqs.weight</c> tensor) instead of its parameters.
/// </summary>
internal sealed record RopeFrequencyFactors(double Theta, int Dimensions, float[] Factors) : RopeScaling
{
    internal override double Scale(double inverseFrequency)
    {
        // inverseFrequency = θ^(−2i/d) exactly, so the pair index is recovered from it.
        int pair = (int)Math.Round(-Math.Log(inverseFrequency) / Math.Log(Theta) * Dimensions / 2);
        return inverseFrequency / Factors[Math.Clamp(pair, 0, Factors.Length - 1)];
    }
}
