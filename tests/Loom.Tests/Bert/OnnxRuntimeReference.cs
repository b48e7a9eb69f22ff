using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Loom.Tests.Bert;

/// <summary>ONNX Runtime running the same graph: the independent reference for the encoder.</summary>
internal sealed class OnnxRuntimeReference : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxRuntimeReference(string modelPath, int threads)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        _session = new InferenceSession(modelPath, options);
    }

    /// <summary>last_hidden_state of each sequence (padded together as one batch), [length × hidden] per sequence.</summary>
    public float[][] LastHiddenState(IReadOnlyList<int[]> sequences)
    {
        int batch = sequences.Count, length = sequences.Max(s => s.Length);
        var ids = new DenseTensor<long>([batch, length]);
        var mask = new DenseTensor<long>([batch, length]);
        var types = new DenseTensor<long>([batch, length]);
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < sequences[b].Length; i++)
            {
                ids[b, i] = sequences[b][i];
                mask[b, i] = 1;
            }
        using var results = _session.Run(
            [NamedOnnxValue.CreateFromTensor("input_ids", ids), NamedOnnxValue.CreateFromTensor("attention_mask", mask),
             NamedOnnxValue.CreateFromTensor("token_type_ids", types)],
            ["last_hidden_state"]);
        var hidden = results.First().AsTensor<float>();
        int d = hidden.Dimensions[2];
        var output = new float[batch][];
        for (int b = 0; b < batch; b++)
        {
            output[b] = new float[sequences[b].Length * d];
            for (int i = 0; i < sequences[b].Length; i++)
                for (int k = 0; k < d; k++) output[b][i * d + k] = hidden[b, i, k];
        }
        return output;
    }

    /// <summary>The graph's second output, BERT's pooler (tanh of a dense layer on the [CLS] state), for one sequence with its token types.</summary>
    public float[] Pooler(int[] ids, int[] types)
    {
        var idTensor = new DenseTensor<long>([1, ids.Length]);
        var mask = new DenseTensor<long>([1, ids.Length]);
        var typeTensor = new DenseTensor<long>([1, ids.Length]);
        for (int i = 0; i < ids.Length; i++)
        {
            idTensor[0, i] = ids[i];
            mask[0, i] = 1;
            typeTensor[0, i] = types[i];
        }
        var name = _session.OutputNames[1];
        using var results = _session.Run(
            [NamedOnnxValue.CreateFromTensor("input_ids", idTensor), NamedOnnxValue.CreateFromTensor("attention_mask", mask),
             NamedOnnxValue.CreateFromTensor("token_type_ids", typeTensor)],
            [name]);
        var pooled = results.First().AsTensor<float>();
        if (pooled.Dimensions.Length != 2) throw new InvalidOperationException($"output '{name}' is not [batch × hidden]");
        return pooled.ToArray();
    }

    public void Dispose() => _session.Dispose();
}
