namespace Loom.Formats;

/// <summary>
/// An ONNX model file (ModelProto), read far enough to run it with Loom's own engine: the opsets, the graph's nodes,
/// inputs, outputs and initializers (the weights). The file is memory-mapped; weight bytes are not copied, and stay
/// valid until this object is disposed. Anything malformed raises <see cref="ModelFormatException"/>.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly IDisposable? _mapping;

    private OnnxModel(long irVersion, string producer, IReadOnlyDictionary<string, long> opsets, OnnxGraph graph, IDisposable? mapping)
    {
        IrVersion = irVersion;
        Producer = producer;
        Opsets = opsets;
        Graph = graph;
        _mapping = mapping;
    }

    public long IrVersion { get; }
    public string Producer { get; }

    /// <summary>Operator set version per domain ("" is the default ai.onnx domain).</summary>
    public IReadOnlyDictionary<string, long> Opsets { get; }

    public OnnxGraph Graph { get; }

    /// <summary>Memory-maps and reads the file.</summary>
    /// <exception cref="FileNotFoundException">no such file</exception>
    /// <exception cref="ModelFormatException">the file is not a well-formed ONNX model Loom can read</exception>
    public static OnnxModel Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no ONNX file at {path}", path);
        var mapping = new OnnxFileMapping(path);
        try
        {
            return Parse(mapping.Memory, path, mapping);
        }
        catch
        {
            ((IDisposable)mapping).Dispose();
            throw;
        }
    }

    /// <summary>Reads a model held in memory; tensors point into <paramref name="bytes"/>.</summary>
    public static OnnxModel Read(ReadOnlyMemory<byte> bytes, string? path = null) => Parse(bytes, path, null);

    private static OnnxModel Parse(ReadOnlyMemory<byte> file, string? path, IDisposable? mapping)
    {
        var reader = new OnnxProtoReader(file.Span, 0, path);
        long irVersion = 0;
        string producer = "";
        var opsets = new Dictionary<string, long>();
        OnnxGraph? graph = null;
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            switch (field)
            {
                case 1: reader.Expect(wire, 0, field, "ModelProto"); irVersion = reader.ReadInt64(); break;
                case 2: reader.Expect(wire, 2, field, "ModelProto"); producer = reader.ReadString(); break;
                case 7:
                    reader.Expect(wire, 2, field, "ModelProto");
                    if (graph is not null) throw reader.Error("more than one graph");
                    graph = OnnxGraph.Parse(reader.ReadMessage(), file, path);
                    break;
                case 8:
                    reader.Expect(wire, 2, field, "ModelProto");
                    var opset = reader.ReadMessage();
                    string domain = "";
                    long version = 0;
                    while (!opset.AtEnd)
                    {
                        int f = opset.ReadTag(out int w);
                        if (f == 1 && w == 2) domain = opset.ReadString();
                        else if (f == 2 && w == 0) version = opset.ReadInt64();
                        else opset.Skip(w);
                    }
                    opsets[domain] = version;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        if (graph is null) throw new ModelFormatException(path, "no graph: not an ONNX model");
        if (irVersion <= 0) throw new ModelFormatException(path, 0, $"ir_version {irVersion}: not an ONNX model");
        return new OnnxModel(irVersion, producer, opsets, graph, mapping);
    }

    public void Dispose() => _mapping?.Dispose();
}
