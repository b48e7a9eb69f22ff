namespace Loom.Embeddings;

/// <summary>How a <see cref="SentenceEncoder"/> runs. Null means "the model's default".</summary>
public sealed record SentenceEncoderOptions
{
    /// <summary>Sentences per forward pass (they are packed without padding, after sorting by length).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Longest token sequence, special tokens included; longer texts are truncated and counted.
    /// Null: the model's default (256 for MiniLM, 512 for arctic-xs, else the model's position count).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Worker threads; 0 = all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Pooling; null = the model's convention (MiniLM mean, arctic-xs CLS, else sentence-transformers config or mean).</summary>
    public PoolingMode? Pooling { get; init; }

    /// <summary>Store the attention-output and feed-forward weights in this type when loading through <see cref="SentenceEncoder.Create"/>
    /// (e.g. <see cref="Loom.Tensors.GgmlType.Q8_0"/>: int8 weights with per-block scales, run as integer dot products;
    /// see <see cref="Loom.Models.Bert.BertModel.Quantize"/>); null keeps the file's f32.</summary>
    public Loom.Tensors.GgmlType? WeightType { get; init; }

    /// <summary>Scale embeddings to unit length, so that a dot product is the cosine.</summary>
    public bool Normalize { get; init; } = true;
}
