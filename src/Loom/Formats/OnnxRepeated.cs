namespace Loom.Formats;

/// <summary>Repeated numeric protobuf fields, which a writer may send packed (one length-delimited run) or one by one.</summary>
internal static class OnnxRepeated
{
    public static void ReadVarints(ref OnnxProtoReader reader, int wire, int field, List<long> into)
    {
        if (wire == 0) { into.Add(reader.ReadInt64()); return; }
        reader.Expect(wire, 2, field, "repeated integer");
        var packed = reader.ReadMessage();
        while (!packed.AtEnd) into.Add(packed.ReadInt64());
    }

    public static void ReadVarints(ref OnnxProtoReader reader, int wire, int field, List<ulong> into)
    {
        if (wire == 0) { into.Add(reader.ReadVarint()); return; }
        reader.Expect(wire, 2, field, "repeated integer");
        var packed = reader.ReadMessage();
        while (!packed.AtEnd) into.Add(packed.ReadVarint());
    }

    public static void ReadFixed64s(ref OnnxProtoReader reader, int wire, int field, List<ulong> into)
    {
        if (wire == 1) { into.Add(reader.ReadFixed64()); return; }
        reader.Expect(wire, 2, field, "repeated fixed64");
        var packed = reader.ReadMessage();
        while (!packed.AtEnd) into.Add(packed.ReadFixed64());
    }

    public static void ReadFloats(ref OnnxProtoReader reader, int wire, int field, List<float> into)
    {
        if (wire == 5) { into.Add(BitConverter.UInt32BitsToSingle(reader.ReadFixed32())); return; }
        reader.Expect(wire, 2, field, "repeated float");
        var packed = reader.ReadMessage();
        while (!packed.AtEnd) into.Add(BitConverter.UInt32BitsToSingle(packed.ReadFixed32()));
    }
}
