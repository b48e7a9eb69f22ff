using Loom.Tensors;

namespace Loom.Models.Bert;

/// <summary>The weights of one post-LayerNorm transformer block. Linear weights are [out × in] (PyTorch layout);
/// query, key and value are fused into one [3·hidden × hidden] matrix so one GEMM computes all three.</summary>
internal sealed record BertLayer(
    WeightMatrix QkvWeight, float[] QkvBias,
    WeightMatrix OutputWeight, float[] OutputBias,
    float[] AttentionNormWeight, float[] AttentionNormBias,
    WeightMatrix IntermediateWeight, float[] IntermediateBias,
    WeightMatrix FfnOutputWeight, float[] FfnOutputBias,
    float[] OutputNormWeight, float[] OutputNormBias);
