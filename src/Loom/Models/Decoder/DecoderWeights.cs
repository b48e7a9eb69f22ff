using Loom.Tensors;

namespace Loom.Models.Decoder;

/// <summary>All weights of a decoder, in their file type (the matrices point into the mapped file).</summary>
internal sealed class DecoderWeights
{
    /// <summary>[vocabulary × embedding]; rows are looked up (and decoded) one token at a time.</summary>
    public required WeightMatrix TokenEmbedding { get; init; }
    /// <summary>GPT-2's learned positions [context × embedding]; null for rotary models.</summary>
    public WeightMatrix? PositionEmbedding { get; init; }
    public required DecoderLayerWeights[] Layers { get; init; }
    public required float[] OutputNorm { get; init; }
    public float[]? OutputNormBias { get; init; }
    /// <summary>[vocabulary × embedding]; the token embedding itself when the model ties them.</summary>
    public required WeightMatrix Output { get; init; }
}
