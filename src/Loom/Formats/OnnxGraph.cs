namespace Loom.Formats;

/// <summary>The computation graph of an ONNX model (GraphProto): its nodes, its weights (initializers), inputs and outputs.</summary>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, OnnxTensor> _byName;

    private OnnxGraph(string name, IReadOnlyList<OnnxNode> nodes, IReadOnlyList<OnnxTensor> initializers,
        IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs)
    {
        Name = name;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
        _byName = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var t in initializers) _byName.TryAdd(t.Name, t);
    }

    public string Name { get; }
    public IReadOnlyList<OnnxNode> Nodes { get; }
    public IReadOnlyList<OnnxTensor> Initializers { get; }
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>The initializer called <paramref name="name"/>, or null.</summary>
    public OnnxTensor? Initializer(string name) => _byName.GetValueOrDefault(name);

    internal static OnnxGraph Parse(OnnxProtoReader reader, ReadOnlyMemory<byte> file, string? path)
    {
        string name = "";
        var nodes = new List<OnnxNode>();
        var initializers = new List<OnnxTensor>();
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            if (field is 1 or 2 or 5 or 11 or 12) reader.Expect(wire, 2, field, "GraphProto");
            switch (field)
            {
                case 1: nodes.Add(OnnxNode.Parse(reader.ReadMessage(), file, path)); break;
                case 2: name = reader.ReadString(); break;
                case 5: initializers.Add(OnnxTensor.Parse(reader.ReadMessage(), file, path)); break;
                case 11: inputs.Add(OnnxValueInfo.Parse(reader.ReadMessage())); break;
                case 12: outputs.Add(OnnxValueInfo.Parse(reader.ReadMessage())); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxGraph(name, nodes, initializers, inputs, outputs);
    }
}
