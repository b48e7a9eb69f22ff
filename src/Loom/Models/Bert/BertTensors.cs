namespace Loom.Models.Bert;

/// <summary>A named float tensor in Hugging Face naming and PyTorch layout (linear weights [out × in]).</summary>
internal sealed record BertTensor(float[] Data, long[] Shape);

/// <summary>Where a checkpoint's tensors come from (ONNX initializers, safetensors…), by Hugging Face name
/// without the "bert." prefix, e.g. "encoder.layer.0.attention.self.query.weight".</summary>
internal interface IBertTensorSource
{
    string Description { get; }
    BertTensor? Find(string name);
}
