using Loom.Tensors;

namespace Loom.Models.Llama;

/// <summary>
/// Per-pair divisors of the rotary frequencies, as llama.cpp stores Llama 3.1 / 3.2 frequency scaling in GGUF
/// (<c>rope_freqs.weight</c>, one factor per rotated pair): frequency i becomes θ^(−2i/d) / factor[i].
/// </summary>
internal sealed record RopeFrequencyFactors(double Theta, int Dimensions, float[] Factors) : RopeScaling
{
    internal override double Scale(double inverseFrequency)
    {
        // Recover the pair index from its unscaled frequency θ^(−2i/d).
        int pair = (int)Math.Round(-Math.Log(inverseFrequency) * Dimensions / (2 * Math.Log(Theta)));
        return inverseFrequency / Factors[Math.Clamp(pair, 0, Factors.Length - 1)];
    }
}
