namespace Loom.Models.Decoder;

/// <summary>How a decoder runs.</summary>
public sealed record DecoderOptions
{
    /// <summary>Worker threads for the matrix products and attention; 0 = all cores.</summary>
    public int Threads { get; init; }

    /// <summary>How activations are rounded before they meet the weights; the default keeps them in f32.</summary>
    public ActivationRounding ActivationRounding { get; init; } = ActivationRounding.None;
}

/// <summary>Rounding of activations on their way into a matrix product.</summary>
public enum ActivationRounding
{
    /// <summary>Activations stay f32 (the most accurate: Loom's default).</summary>
    None,

    /// <summary>
    /// Round as llama.cpp's CPU backend does, to reproduce its logits closely: activations become f16 before f16 weights,
    /// bf16 before bf16 weights, 8-bit blocks of 32 (Q8_0) before legacy quantized weights and of 256 (Q8_K) before
    /// K-quants; GPT-2's GELU goes through f16 as llama.cpp's lookup table does.
    /// </summary>
    LlamaCpp,
}
