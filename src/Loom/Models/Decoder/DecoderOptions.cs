namespace Loom.Models.Decoder;

/// <summary>How a decoder runs.</summary>
public sealed record DecoderOptions
{
    /// <summary>Worker threads for the matrix products and attention; 0 = all cores.</summary>
    public int Threads { get; init; }

    /// <summary>How activations are rounded before they meet the weights; the default rounds them to 8-bit blocks before
    /// Q8_0 and Q4_0 weights as llama.cpp does (faster); <see cref="ActivationRounding.None"/> keeps them in f32.</summary>
    public ActivationRounding ActivationRounding { get; init; } = ActivationRounding.Int8;
}

/// <summary>Rounding of activations on their way into a matrix product.</summary>
public enum ActivationRounding
{
    /// <summary>Activations stay f32: the most accurate (within f32 rounding of a float64 forward pass), slower for
    /// quantized weights.</summary>
    None,

    /// <summary>
    /// Loom's default: before Q8_0 and Q4_0 weights, activations are rounded to 8-bit blocks of 32 (Q8_0) exactly as
    /// llama.cpp rounds them, and the product runs on exact integer dot products (<see cref="Loom.Tensors.Int8MatMul"/>):
    /// faster, and the logits land within f32 rounding of llama.cpp's. Other weight types keep f32 activations.
    /// </summary>
    Int8,

    /// <summary>
    /// Round everything as llama.cpp's CPU backend does, to study its numbers: <see cref="Int8"/>, plus 8-bit blocks
    /// (Q8_0) before Q4_1, Q5_0 and Q5_1 weights, blocks of 256 (Q8_K) before K-quants, f16 before f16 weights and bf16
    /// before bf16 weights, and GPT-2's GELU through f16 as llama.cpp's lookup table does. Slower.
    /// </summary>
    LlamaCpp,
}
