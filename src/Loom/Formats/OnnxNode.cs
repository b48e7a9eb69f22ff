namespace Loom.Formats;

/// <summary>One operator of an ONNX graph (NodeProto): what it computes and which named values it reads and writes.</summary>
public sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyList<OnnxAttribute> Attributes)
{
    /// <summary>The attribute called <paramref name="name"/>, or null.</summary>
    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    internal static OnnxNode Parse(OnnxProtoReader reader, ReadOnlyMemory<byte> file, string? path)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        string name = "", opType = "", domain = "";
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            if (field is >= 1 and <= 5 or 7) reader.Expect(wire, 2, field, "NodeProto");
            switch (field)
            {
                case 1: inputs.Add(reader.ReadString()); break;
                case 2: outputs.Add(reader.ReadString()); break;
                case 3: name = reader.ReadString(); break;
                case 4: opType = reader.ReadString(); break;
                case 5: attributes.Add(OnnxAttribute.Parse(reader.ReadMessage(), file, path)); break;
                case 7: domain = reader.ReadString(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
    }
}

/// <summary>A node attribute (AttributeProto); only the scalar, list and tensor forms are read (sub-graphs are skipped).</summary>
public sealed record OnnxAttribute(string Name, long? Int, float? Float, string? String, IReadOnlyList<long> Ints, IReadOnlyList<float> Floats,
    OnnxTensor? Tensor)
{
    internal static OnnxAttribute Parse(OnnxProtoReader reader, ReadOnlyMemory<byte> file, string? path)
    {
        string name = "";
        long? i = null;
        float? f = null;
        string? s = null;
        OnnxTensor? t = null;
        var ints = new List<long>();
        var floats = new List<float>();
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            switch (field)
            {
                case 1: reader.Expect(wire, 2, field, "AttributeProto"); name = reader.ReadString(); break;
                case 2: reader.Expect(wire, 5, field, "AttributeProto"); f = BitConverter.UInt32BitsToSingle(reader.ReadFixed32()); break;
                case 3: reader.Expect(wire, 0, field, "AttributeProto"); i = reader.ReadInt64(); break;
                case 4: reader.Expect(wire, 2, field, "AttributeProto"); s = reader.ReadString(); break;
                case 5: reader.Expect(wire, 2, field, "AttributeProto"); t = OnnxTensor.Parse(reader.ReadMessage(), file, path); break;
                case 7: OnnxRepeated.ReadFloats(ref reader, wire, field, floats); break;
                case 8: OnnxRepeated.ReadVarints(ref reader, wire, field, ints); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, i, f, s, ints, floats, t);
    }
}
