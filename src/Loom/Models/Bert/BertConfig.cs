namespace Loom.Models.Bert;

/// <summary>Hyper-parameters of a BERT-family encoder (the fields of a Hugging Face BertConfig that change the computation).</summary>
public sealed record BertConfig(
    int VocabSize,
    int HiddenSize,
    int Layers,
    int Heads,
    int IntermediateSize,
    int MaxPositions,
    int TypeVocabSize,
    float LayerNormEps = 1e-12f)
{
    public int HeadSize => HiddenSize / Heads;

    /// <summary>Throws <see cref="ArgumentException"/> unless the numbers describe a model Loom can build.</summary>
    public void Validate()
    {
        if (VocabSize <= 0 || HiddenSize <= 0 || Layers <= 0 || Heads <= 0 || IntermediateSize <= 0 || MaxPositions <= 0 || TypeVocabSize <= 0)
            throw new ArgumentException($"BERT config has a non-positive size: {this}");
        if (HiddenSize % Heads != 0) throw new ArgumentException($"hidden size {HiddenSize} is not a multiple of {Heads} heads");
        if (!(LayerNormEps > 0)) throw new ArgumentException($"layer_norm_eps {LayerNormEps} is not positive");
    }
}
