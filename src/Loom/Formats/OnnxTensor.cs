using System.Runtime.InteropServices;

namespace Loom.Formats;

/// <summary>
/// An ONNX initializer (TensorProto): name, element type, shape and little-endian element bytes. When the file stores
/// <c>raw_data</c> (or packed floats), <see cref="Data"/> points into the memory-mapped file and stays valid until the
/// <see cref="OnnxModel"/> is disposed.
/// </summary>
public sealed class OnnxTensor
{
    internal OnnxTensor(string name, OnnxDataType dataType, long[] dims, long elementCount, ReadOnlyMemory<byte> data)
    {
        Name = name;
        DataType = dataType;
        Dims = dims;
        ElementCount = elementCount;
        Data = data;
    }

    public string Name { get; }
    public OnnxDataType DataType { get; }
    public IReadOnlyList<long> Dims { get; }
    public long ElementCount { get; }

    /// <summary>The elements, little-endian, <c>ElementCount × size of DataType</c> bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The elements of a float tensor, without copying.</summary>
    public ReadOnlySpan<float> AsFloats()
    {
        if (DataType != OnnxDataType.Float) throw new InvalidOperationException($"tensor '{Name}' holds {DataType}, not Float");
        return MemoryMarshal.Cast<byte, float>(Data.Span);
    }

    /// <summary>The elements of an integer tensor (Int64, Int32, Int16, Int8, UInt8…), widened to long.</summary>
    public long[] ToInt64s()
    {
        var span = Data.Span;
        return DataType switch
        {
            OnnxDataType.Int64 => MemoryMarshal.Cast<byte, long>(span).ToArray(),
            OnnxDataType.Int32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(span).ToArray(), v => (long)v),
            OnnxDataType.Int16 => Array.ConvertAll(MemoryMarshal.Cast<byte, short>(span).ToArray(), v => (long)v),
            OnnxDataType.UInt16 => Array.ConvertAll(MemoryMarshal.Cast<byte, ushort>(span).ToArray(), v => (long)v),
            OnnxDataType.Int8 => Array.ConvertAll(MemoryMarshal.Cast<byte, sbyte>(span).ToArray(), v => (long)v),
            OnnxDataType.UInt8 or OnnxDataType.Bool => Array.ConvertAll(span.ToArray(), v => (long)v),
            _ => throw new InvalidOperationException($"tensor '{Name}' holds {DataType}, not integers"),
        };
    }

    public override string ToString() => $"{Name} {DataType}[{string.Join(", ", Dims)}]";

    /// <summary>Parses a TensorProto and checks that its data matches its type and shape.</summary>
    internal static OnnxTensor Parse(OnnxProtoReader reader, ReadOnlyMemory<byte> file, string? path)
    {
        long start = reader.Offset;
        var dims = new List<long>();
        int dataType = 0;
        string name = "";
        (long Offset, int Length)? raw = null;
        var floatChunks = new List<(long Offset, int Length)>();
        var floats = new List<uint>();
        var varints = new List<ulong>();   // int32_data, int64_data, uint64_data
        var doubles = new List<ulong>();
        bool external = false, strings = false;

        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            switch (field)
            {
                case 1: OnnxRepeated.ReadVarints(ref reader, wire, field, dims); break;
                case 2: reader.Expect(wire, 0, field, "TensorProto"); dataType = reader.ReadInt32(); break;
                case 4:
                    if (wire == 2) floatChunks.Add(reader.ReadLengthDelimited());
                    else { reader.Expect(wire, 5, field, "TensorProto"); floats.Add(reader.ReadFixed32()); }
                    break;
                case 5 or 7 or 11: OnnxRepeated.ReadVarints(ref reader, wire, field, varints); break;
                case 6: strings = true; reader.Skip(wire); break;
                case 8: reader.Expect(wire, 2, field, "TensorProto"); name = reader.ReadString(); break;
                case 9: reader.Expect(wire, 2, field, "TensorProto"); raw = reader.ReadLengthDelimited(); break;
                case 10: OnnxRepeated.ReadFixed64s(ref reader, wire, field, doubles); break;
                case 13: external = true; reader.Skip(wire); break;
                case 14: reader.Expect(wire, 0, field, "TensorProto"); external |= reader.ReadInt64() == 1; break;
                default: reader.Skip(wire); break;
            }
        }

        ModelFormatException Refuse(string problem) => new(path, start, $"tensor '{name}': {problem}");
        if (external) throw Refuse("its data is stored in an external file, which Loom does not read");
        var type = (OnnxDataType)dataType;
        int size = OnnxDataTypes.ElementSize(type);
        if (strings || size == 0) throw Refuse($"element type {type} ({dataType}) is not supported");

        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0) throw Refuse($"negative dimension {d}");
            if (d != 0 && count > long.MaxValue / d) throw Refuse("the product of the dimensions overflows");
            count *= d;
        }
        if (count > int.MaxValue / size) throw Refuse($"{count} elements do not fit in the file");
        int bytes = (int)count * size;

        ReadOnlyMemory<byte> data;
        if (raw is { } r)
        {
            if (r.Length != bytes) throw Refuse($"raw_data holds {r.Length} bytes, the shape [{string.Join(", ", dims)}] of {type} needs {bytes}");
            data = file.Slice((int)r.Offset, r.Length);
        }
        else if (floatChunks.Count > 0 || floats.Count > 0)
        {
            if (type != OnnxDataType.Float) throw Refuse($"float_data given for a {type} tensor");
            long given = floatChunks.Sum(c => (long)c.Length) + 4L * floats.Count;
            if (given != bytes || floatChunks.Any(c => c.Length % 4 != 0)) throw Refuse($"float_data holds {given} bytes, the shape needs {bytes}");
            if (floatChunks.Count == 1 && floats.Count == 0) data = file.Slice((int)floatChunks[0].Offset, bytes);
            else
            {
                var buffer = new byte[bytes];
                int at = 0;
                foreach (var c in floatChunks) { file.Span.Slice((int)c.Offset, c.Length).CopyTo(buffer.AsSpan(at)); at += c.Length; }
                foreach (uint f in floats) { BitConverter.TryWriteBytes(buffer.AsSpan(at), f); at += 4; }
                data = buffer;
            }
        }
        else if (doubles.Count > 0)
        {
            if (type != OnnxDataType.Double) throw Refuse($"double_data given for a {type} tensor");
            if (doubles.Count != count) throw Refuse($"double_data holds {doubles.Count} values, the shape needs {count}");
            data = MemoryMarshal.AsBytes(doubles.ToArray().AsSpan()).ToArray();
        }
        else if (varints.Count > 0)
        {
            if (varints.Count != count) throw Refuse($"typed data holds {varints.Count} values, the shape needs {count}");
            var buffer = new byte[bytes];
            for (int i = 0; i < varints.Count; i++)
            {
                ulong v = varints[i];
                switch (size)
                {
                    case 1: buffer[i] = (byte)v; break;
                    case 2: BitConverter.TryWriteBytes(buffer.AsSpan(2 * i), (ushort)v); break;
                    case 4: BitConverter.TryWriteBytes(buffer.AsSpan(4 * i), (uint)v); break;
                    default: BitConverter.TryWriteBytes(buffer.AsSpan(8 * i), v); break;
                }
            }
            data = buffer;
        }
        else if (count == 0) data = ReadOnlyMemory<byte>.Empty;
        else throw Refuse($"no data for {count} elements");

        return new OnnxTensor(name, type, dims.ToArray(), count, data);
    }
}
