namespace Loom.Models.Decoder;

/// <summary>The decoder families Loom runs. Mistral is <see cref="Llama"/> with a sliding attention window.</summary>
public enum DecoderArchitecture
{
    /// <summary>GPT-2: learned positions, LayerNorm with biases, fused qkv, GELU (tanh) MLP.</summary>
    Gpt2,
    /// <summary>Llama 2/3, Mistral, SmolLM: RMSNorm, RoPE, grouped-query attention, SwiGLU.</summary>
    Llama,
    /// <summary>Qwen2 / 2.5: Llama with q/k/v biases and NeoX RoPE.</summary>
    Qwen2,
    /// <summary>Phi-3: Llama with fused qkv and gate_up projections and NeoX RoPE.</summary>
    Phi3,
}
