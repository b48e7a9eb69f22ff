namespace Loom.Tensors;

/// <summary>How rotary embeddings pair the dimensions of a head.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (2i, 2i+1): the original RoFormer / GPT-J layout, llama.cpp's "normal" RoPE (Llama GGUF).</summary>
    Interleaved,
    /// <summary>Split halves (i, i + d/2): GPT-NeoX and Hugging Face's rotate_half (Qwen2, Phi-3, HF Llama).</summary>
    NeoX,
}

/// <summary>Context-extension rescaling of the rotary frequencies.</summary>
public abstract record RopeScaling
{
    internal abstract double Scale(double inverseFrequency);

    /// <summary>Linear position interpolation: every frequency divided by <paramref name="Factor"/>.</summary>
    public sealed record Linear(double Factor) : RopeScaling
    {
        internal override double Scale(double inverseFrequency) => inverseFrequency / Factor;
    }

    /// <summary>Llama 3.1 scaling: long wavelengths (beyond original context / low-frequency factor) divided by
    /// <paramref name="Factor"/>, short ones (below original context / high-frequency factor) kept, a smooth blend between.</summary>
    public sealed record Llama3(double Factor, double LowFrequencyFactor, double HighFrequencyFactor, int OriginalContextLength) : RopeScaling
    {
        internal override double Scale(double inverseFrequency)
        {
            double wavelength = 2 * Math.PI / inverseFrequency;
            if (wavelength < OriginalContextLength / HighFrequencyFactor) return inverseFrequency;
            if (wavelength > OriginalContextLength / LowFrequencyFactor) return inverseFrequency / Factor;
            double smooth = (OriginalContextLength / wavelength - LowFrequencyFactor) / (HighFrequencyFactor - LowFrequencyFactor);
            return (1 - smooth) * inverseFrequency / Factor + smooth * inverseFrequency;
        }
    }
}

/// <summary>
/// Rotary position embedding: rotates pairs of dimensions of each head by position · θ^(−2i/d). Angles, cosines and
/// sines are computed in f64 per position (positions reach 10⁵ and more, where f32 angles lose digits).
/// </summary>
public sealed class Rope
{
    private readonly double[] inverseFrequency;

    /// <param name="dimensions">rotated dimensions per head (even; may be fewer than the head size: partial rotary)</param>
    /// <param name="theta">frequency base (10 000 for Llama 2, 500 000 for Llama 3, 1 000 000 for Qwen2)</param>
    /// <param name="layout">which dimensions form pairs</param>
    /// <param name="scaling">optional frequency rescaling</param>
    public Rope(int dimensions, double theta = 10000, RopeLayout layout = RopeLayout.NeoX, RopeScaling? scaling = null)
    {
        if (dimensions <= 0 || dimensions % 2 != 0) throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "rotary dimensions must be positive and even");
        if (!(theta > 1)) throw new ArgumentOutOfRangeException(nameof(theta), theta, "the frequency base must exceed 1");
        Dimensions = dimensions;
        Layout = layout;
        inverseFrequency = new double[dimensions / 2];
        for (int i = 0; i < inverseFrequency.Length; i++)
        {
            double f = Math.Pow(theta, -2.0 * i / dimensions);
            inverseFrequency[i] = scaling is null ? f : scaling.Scale(f);
        }
    }

    public int Dimensions { get; }
    public RopeLayout Layout { get; }

    /// <summary>The rotation frequency of pair <paramref name="i"/> (radians per position), after scaling.</summary>
    public double InverseFrequency(int i) => inverseFrequency[i];

    /// <summary>
    /// Rotates, in place, <paramref name="tokens"/> consecutive rows of x, each [heads × headSize], the row t at position
    /// <paramref name="startPosition"/> + t. Only the first <see cref="Dimensions"/> of each head rotate.
    /// </summary>
    public void Apply(Span<float> x, int tokens, int heads, int headSize, int startPosition)
    {
        if (headSize < Dimensions) throw new ArgumentException($"head size {headSize} is below the {Dimensions} rotary dimensions", nameof(headSize));
        ArgumentOutOfRangeException.ThrowIfNegative(startPosition);
        if (x.Length < (long)tokens * heads * headSize) throw new ArgumentException($"x holds {x.Length} values, fewer than {tokens} × {heads} × {headSize}", nameof(x));
        int half = Dimensions / 2;
        Span<float> cos = half <= 1024 ? stackalloc float[half] : new float[half];
        Span<float> sin = half <= 1024 ? stackalloc float[half] : new float[half];
        for (int t = 0; t < tokens; t++)
        {
            long position = (long)startPosition + t;
            for (int i = 0; i < half; i++)
            {
                (double s, double c) = Math.SinCos(position * inverseFrequency[i]);
                cos[i] = (float)c;
                sin[i] = (float)s;
            }
            for (int h = 0; h < heads; h++)
            {
                var v = x.Slice((t * heads + h) * headSize, Dimensions);
                if (Layout == RopeLayout.NeoX)
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[i], b = v[i + half];
                        v[i] = a * cos[i] - b * sin[i];
                        v[i + half] = b * cos[i] + a * sin[i];
                    }
                else
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[2 * i], b = v[2 * i + 1];
                        v[2 * i] = a * cos[i] - b * sin[i];
                        v[2 * i + 1] = b * cos[i] + a * sin[i];
                    }
            }
        }
    }
}
