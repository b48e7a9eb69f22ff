using Loom.Formats;

namespace Loom.Models.Bert;

/// <summary>
/// Reads BERT weights from an ONNX export. Biases and LayerNorm parameters keep their PyTorch names, but exporters
/// name the linear weights anonymously ("927", "onnx::MatMul_788"); each is found by following the graph: a MatMul
/// whose weight is an initializer feeds an Add with the bias "X.bias", so the weight is "X.weight" (transposed, since
/// ONNX multiplies x · W with W [in × out]). Head count and LayerNorm epsilon are read from the graph's constants.
/// </summary>
internal sealed class BertOnnxSource : IBertTensorSource
{
    private readonly OnnxGraph _graph;
    private readonly Dictionary<string, OnnxTensor> _linear = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxTensor> _constants = new(StringComparer.Ordinal);

    public BertOnnxSource(OnnxModel model, string path)
    {
        Description = path;
        _graph = model.Graph;
        foreach (var node in _graph.Nodes)
            if (node.OpType == "Constant" && node.Outputs.Count == 1 && node.Attribute("value")?.Tensor is { } value)
                _constants[node.Outputs[0]] = value;

        var weightOf = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal); // MatMul output → weight
        foreach (var node in _graph.Nodes)
            if (node.OpType == "MatMul" && node.Inputs.Count == 2 && node.Outputs.Count == 1
                && _graph.Initializer(node.Inputs[1]) is { Dims.Count: 2 } weight)
                weightOf[node.Outputs[0]] = weight;
        foreach (var node in _graph.Nodes)
        {
            if (node.OpType != "Add" || node.Inputs.Count != 2) continue;
            foreach (var (a, b) in new[] { (node.Inputs[0], node.Inputs[1]), (node.Inputs[1], node.Inputs[0]) })
                if (a.EndsWith(".bias", StringComparison.Ordinal) && _graph.Initializer(a) is not null && weightOf.TryGetValue(b, out var w))
                    _linear[a[..^".bias".Length] + ".weight"] = w;
        }
        Config = ReadConfig();
    }

    public string Description { get; }
    public BertConfig Config { get; }

    public BertTensor? Find(string name)
    {
        if (_linear.TryGetValue(name, out var linear)) return Transposed(linear);
        var tensor = _graph.Initializer(name) ?? _graph.Initializer("bert." + name);
        return tensor is null ? null : new BertTensor(Floats(tensor), tensor.Dims.ToArray());
    }

    private BertConfig ReadConfig()
    {
        OnnxTensor Need(string name) => _graph.Initializer(name) ?? throw new ModelFormatException(Description, $"no initializer '{name}': not a BERT graph Loom recognises");
        var word = Need("embeddings.word_embeddings.weight");
        var position = Need("embeddings.position_embeddings.weight");
        var type = Need("embeddings.token_type_embeddings.weight");
        if (word.Dims.Count != 2 || position.Dims.Count != 2 || type.Dims.Count != 2)
            throw new ModelFormatException(Description, "embedding tables are not matrices");
        int layers = 0;
        while (_graph.Initializer($"encoder.layer.{layers}.attention.self.query.bias") is not null) layers++;
        if (layers == 0) throw new ModelFormatException(Description, "no encoder layers found");
        int hidden = checked((int)word.Dims[1]);
        int intermediate = checked((int)Need("encoder.layer.0.intermediate.dense.bias").ElementCount);
        return new BertConfig(checked((int)word.Dims[0]), hidden, layers, ReadHeads(hidden), intermediate,
            checked((int)position.Dims[0]), checked((int)type.Dims[0]), ReadLayerNormEps());
    }

    // Attention scores are divided by √(head size) just before the mask is added and the softmax taken.
    private int ReadHeads(int hidden)
    {
        var producer = _graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).GroupBy(x => x.o).ToDictionary(g => g.Key, g => g.First().n);
        foreach (var softmax in _graph.Nodes.Where(n => n.OpType == "Softmax"))
        {
            if (softmax.Inputs.Count == 0 || !producer.TryGetValue(softmax.Inputs[0], out var add) || add.OpType != "Add") continue;
            foreach (var input in add.Inputs)
                if (producer.TryGetValue(input, out var div) && div.OpType is "Div" or "Mul" && div.Inputs.Count == 2 && Scalar(div.Inputs[1]) is float s && s > 0)
                {
                    double headSize = div.OpType == "Div" ? s * (double)s : 1 / (s * (double)s);
                    int size = (int)Math.Round(headSize);
                    if (size > 0 && Math.Abs(headSize - size) < 1e-3 && hidden % size == 0) return hidden / size;
                }
        }
        throw new ModelFormatException(Description, "could not find the attention scale (1/√head size) in the graph");
    }

    // LayerNorm is exported as ReduceMean/Sub/Pow/ReduceMean/Add(eps)/Sqrt/Div; eps is the constant of the Add feeding Sqrt.
    private float ReadLayerNormEps()
    {
        var producer = _graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).GroupBy(x => x.o).ToDictionary(g => g.Key, g => g.First().n);
        foreach (var sqrt in _graph.Nodes.Where(n => n.OpType == "Sqrt"))
            if (sqrt.Inputs.Count == 1 && producer.TryGetValue(sqrt.Inputs[0], out var add) && add.OpType == "Add")
                foreach (var input in add.Inputs)
                    if (Scalar(input) is float eps && eps > 0) return eps;
        return 1e-12f;
    }

    private float? Scalar(string name)
    {
        var tensor = _constants.GetValueOrDefault(name) ?? _graph.Initializer(name);
        return tensor is { DataType: OnnxDataType.Float, ElementCount: 1 } ? tensor.AsFloats()[0] : null;
    }

    private float[] Floats(OnnxTensor tensor)
    {
        if (tensor.DataType != OnnxDataType.Float) throw new ModelFormatException(Description, $"tensor '{tensor.Name}' holds {tensor.DataType}, expected Float");
        return tensor.AsFloats().ToArray();
    }

    private BertTensor Transposed(OnnxTensor w)
    {
        var source = Floats(w);
        int rows = (int)w.Dims[0], cols = (int)w.Dims[1]; // [in × out]
        var result = new float[source.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) result[j * rows + i] = source[i * cols + j];
        return new BertTensor(result, [cols, rows]);
    }
}
