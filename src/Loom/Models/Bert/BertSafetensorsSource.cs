using System.Runtime.InteropServices;
using Loom.Formats;

namespace Loom.Models.Bert;

/// <summary>BERT weights from a Hugging Face model.safetensors (names with or without the "bert." prefix;
/// F32, F16 or BF16 values widened to f32).</summary>
internal sealed class BertSafetensorsSource(SafetensorsFile file) : IBertTensorSource
{
    public string Description => file.Path ?? "model.safetensors";

    public BertTensor? Find(string name)
    {
        if (!file.TryGetTensor(name, out var tensor) && !file.TryGetTensor("bert." + name, out tensor)) return null;
        var bytes = file.GetData(tensor).Span;
        float[] values = tensor.DType switch
        {
            SafetensorsDType.F32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            SafetensorsDType.F16 => Array.ConvertAll(MemoryMarshal.Cast<byte, Half>(bytes).ToArray(), h => (float)h),
            SafetensorsDType.BF16 => Array.ConvertAll(MemoryMarshal.Cast<byte, ushort>(bytes).ToArray(), b => BitConverter.Int32BitsToSingle(b << 16)),
            _ => throw new ModelFormatException(Description, tensor.FileOffset, $"tensor '{tensor.Name}' has dtype {SafetensorsDTypes.Name(tensor.DType)}; BERT weights must be F32, F16 or BF16"),
        };
        return new BertTensor(values, tensor.Shape.ToArray());
    }

    /// <summary>The encoder's hyper-parameters from config.json; refuses anything that is not a BERT-style encoder.</summary>
    public static BertConfig ReadConfig(HuggingFaceConfig config, string path)
    {
        if (config.ModelType is not ("bert" or null) || (config.ModelType is null && !config.Architectures.Any(a => a.StartsWith("Bert", StringComparison.Ordinal))))
            throw new ModelFormatException(path, $"model_type '{config.ModelType}' is not a BERT encoder (Loom's encoder runs model_type \"bert\")");
        if (config.HiddenAct is not (null or "gelu"))
            throw new ModelFormatException(path, $"hidden_act '{config.HiddenAct}' is not supported (Loom's BERT uses exact GELU)");
        int Need(int? value, string key) => value ?? throw new ModelFormatException(path, $"config.json has no {key}");
        return new BertConfig(
            Need(config.VocabSize, "vocab_size"), Need(config.HiddenSize, "hidden_size"), Need(config.NumHiddenLayers, "num_hidden_layers"),
            Need(config.NumAttentionHeads, "num_attention_heads"), Need(config.IntermediateSize, "intermediate_size"),
            Need(config.MaxPositionEmbeddings, "max_position_embeddings"), config.TypeVocabSize ?? 2, (float)(config.LayerNormEps ?? 1e-12));
    }
}
