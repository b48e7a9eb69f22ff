using System.Text;

namespace Loom.Tests.Onnx;

/// <summary>A minimal protobuf writer, to build small ONNX files field by field (including unusual but legal encodings).</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _out = new();

    public byte[] ToArray() => _out.ToArray();

    public ProtoWriter Varint(int field, ulong value) { Key(field, 0); WriteVarint(value); return this; }
    public ProtoWriter Int(int field, long value) => Varint(field, (ulong)value);
    public ProtoWriter Fixed32(int field, float value) { Key(field, 5); _out.Write(BitConverter.GetBytes(value)); return this; }
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> bytes) { Key(field, 2); WriteVarint((ulong)bytes.Length); _out.Write(bytes); return this; }
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    public ProtoWriter PackedVarints(int field, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values) inner.WriteVarint((ulong)v);
        return Bytes(field, inner.ToArray());
    }

    public ProtoWriter PackedFloats(int field, IEnumerable<float> values) => Bytes(field, values.SelectMany(BitConverter.GetBytes).ToArray());

    private void Key(int field, int wire) => WriteVarint(((ulong)field << 3) | (uint)wire);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80) { _out.WriteByte((byte)(value | 0x80)); value >>= 7; }
        _out.WriteByte((byte)value);
    }

    /// <summary>A small but complete model: one MatMul + Add graph with initializers in four encodings.</summary>
    public static byte[] SmallModel()
    {
        var raw = new ProtoWriter().Int(1, 2).Int(1, 3).Int(2, 1).String(8, "w_raw")
            .Bytes(9, new float[] { 1, 2, 3, 4, 5, 6 }.SelectMany(BitConverter.GetBytes).ToArray());
        var packed = new ProtoWriter().PackedVarints(1, [3]).Int(2, 1).String(8, "b_packed").PackedFloats(4, [0.5f, -1.5f, 2.25f]);
        var loose = new ProtoWriter().Int(1, 2).Int(2, 1).String(8, "loose").Fixed32(4, 7f).Fixed32(4, -8f);
        var ints = new ProtoWriter().Int(1, 3).Int(2, 7).String(8, "shape").PackedVarints(7, [1, -1, 384]);
        var int32s = new ProtoWriter().Int(1, 2).Int(2, 5).String(8, "int16s").PackedVarints(5, [-3, 300]);
        var node = new ProtoWriter().String(1, "x").String(1, "w_raw").String(2, "y").String(3, "mm").String(4, "MatMul")
            .Message(5, new ProtoWriter().String(1, "alpha").Fixed32(2, 0.25f).Int(20, 1));
        var input = new ProtoWriter().String(1, "x").Message(2, new ProtoWriter().Message(1, new ProtoWriter().Int(1, 1)
            .Message(2, new ProtoWriter().Message(1, new ProtoWriter().String(2, "batch")).Message(1, new ProtoWriter().Int(1, 2)))));
        var output = new ProtoWriter().String(1, "y");
        var graph = new ProtoWriter().Message(1, node).String(2, "g")
            .Message(5, raw).Message(5, packed).Message(5, loose).Message(5, ints).Message(5, int32s)
            .Message(11, input).Message(12, output);
        return new ProtoWriter().Int(1, 8).String(2, "loom-test").Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, 17)).ToArray();
    }
}
