namespace Loom.Formats;

/// <summary>A graph input or output (ValueInfoProto): its name, element type and shape; a dimension is either a
/// number or a symbolic name such as "batch_size".</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, IReadOnlyList<OnnxDimension> Shape)
{
    internal static OnnxValueInfo Parse(OnnxProtoReader reader)
    {
        string name = "";
        var elementType = OnnxDataType.Undefined;
        var shape = new List<OnnxDimension>();
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            if (field == 1) { reader.Expect(wire, 2, field, "ValueInfoProto"); name = reader.ReadString(); }
            else if (field == 2) { reader.Expect(wire, 2, field, "ValueInfoProto"); ParseType(reader.ReadMessage(), ref elementType, shape); }
            else reader.Skip(wire);
        }
        return new OnnxValueInfo(name, elementType, shape);
    }

    // TypeProto { tensor_type = 1: { elem_type = 1, shape = 2: { dim = 1: { dim_value = 1 | dim_param = 2 } } } }
    private static void ParseType(OnnxProtoReader type, ref OnnxDataType elementType, List<OnnxDimension> shape)
    {
        while (!type.AtEnd)
        {
            int field = type.ReadTag(out int wire);
            if (field != 1 || wire != 2) { type.Skip(wire); continue; }
            var tensor = type.ReadMessage();
            while (!tensor.AtEnd)
            {
                int f = tensor.ReadTag(out int w);
                if (f == 1 && w == 0) elementType = (OnnxDataType)tensor.ReadInt32();
                else if (f == 2 && w == 2)
                {
                    var dims = tensor.ReadMessage();
                    while (!dims.AtEnd)
                    {
                        int df = dims.ReadTag(out int dw);
                        if (df != 1 || dw != 2) { dims.Skip(dw); continue; }
                        var dim = dims.ReadMessage();
                        long? value = null;
                        string? param = null;
                        while (!dim.AtEnd)
                        {
                            int g = dim.ReadTag(out int gw);
                            if (g == 1 && gw == 0) value = dim.ReadInt64();
                            else if (g == 2 && gw == 2) param = dim.ReadString();
                            else dim.Skip(gw);
                        }
                        shape.Add(new OnnxDimension(value, param));
                    }
                }
                else tensor.Skip(w);
            }
        }
    }
}

/// <summary>One dimension of a declared shape: a fixed size, a symbolic name, or neither (unknown).</summary>
public sealed record OnnxDimension(long? Value, string? Param)
{
    public override string ToString() => Value?.ToString() ?? Param ?? "?";
}
