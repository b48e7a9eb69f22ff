using Loom.Tensors;

namespace Loom.Models.Decoder;

/// <summary>
/// The weights of one transformer block, in their file type. Either <see cref="Qkv"/> (GPT-2, Phi-3: queries, keys and
/// values stacked by rows) or the separate <see cref="Query"/>/<see cref="Key"/>/<see cref="Value"/> are set.
/// <see cref="Gate"/> is null for GPT-2's MLP and for Phi-3, whose <see cref="Up"/> holds the gate rows then the up rows.
/// Norm weights and biases are small and kept as f32.
/// </summary>
internal sealed class DecoderLayerWeights
{
    public required float[] AttentionNorm { get; init; }
    public float[]? AttentionNormBias { get; init; }
    public WeightMatrix? Qkv { get; init; }
    public float[]? QkvBias { get; init; }
    public WeightMatrix? Query { get; init; }
    public WeightMatrix? Key { get; init; }
    public WeightMatrix? Value { get; init; }
    public float[]? QueryBias { get; init; }
    public float[]? KeyBias { get; init; }
    public float[]? ValueBias { get; init; }
    public required WeightMatrix AttentionOutput { get; init; }
    public float[]? AttentionOutputBias { get; init; }
    public required float[] FeedForwardNorm { get; init; }
    public float[]? FeedForwardNormBias { get; init; }
    public WeightMatrix? Gate { get; init; }
    public required WeightMatrix Up { get; init; }
    public float[]? UpBias { get; init; }
    public required WeightMatrix Down { get; init; }
    public float[]? DownBias { get; init; }
}
