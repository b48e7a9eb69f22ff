namespace Loom.Formats;

/// <summary>Builds a <see cref="ModelSummary"/> from an ONNX model: its initializers are the tensors, its graph inputs,
/// outputs, opsets and producer the metadata. Integer initializers are shape constants of the graph, not weights: they
/// are counted in the metadata, not listed as tensors. ONNX says nothing of the architecture; callers that know it add it.</summary>
internal static class OnnxSummary
{
    public static ModelSummary Create(OnnxModel model, string path)
    {
        var graph = model.Graph;
        var metadata = new List<KeyValuePair<string, string>>
        {
            new("producer", model.Producer),
            new("ir_version", model.IrVersion.ToString()),
            new("opsets", string.Join(", ", model.Opsets.Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}"))),
            new("nodes", graph.Nodes.Count.ToString()),
            new("integer constants", graph.Initializers.Count(t => !IsFloating(t.DataType)).ToString()),
        };
        foreach (var input in graph.Inputs.Where(i => graph.Initializer(i.Name) is null))
            metadata.Add(new($"input {input.Name}", Describe(input)));
        foreach (var output in graph.Outputs)
            metadata.Add(new($"output {output.Name}", Describe(output)));

        return new ModelSummary
        {
            Source = path,
            Format = $"ONNX (IR v{model.IrVersion})",
            Name = graph.Name.Length == 0 ? null : graph.Name,
            Tensors = graph.Initializers.Where(t => IsFloating(t.DataType)).Select(t => new TensorSummary(
                t.Name, t.Dims, t.DataType.ToString(), t.ElementCount, t.Data.Length)).ToList(),
            Metadata = metadata,
        };
    }

    private static bool IsFloating(OnnxDataType type) =>
        type is OnnxDataType.Float or OnnxDataType.Float16 or OnnxDataType.BFloat16 or OnnxDataType.Double;

    private static string Describe(OnnxValueInfo value) => $"{value.ElementType}[{string.Join(", ", value.Shape)}]";
}
