using System.Runtime.InteropServices;
using Loom.Tensors;

namespace Loom.Formats;

/// <summary>
/// Parses and validates the GGUF header, metadata and tensor list. Every count and length is checked against the
/// bytes that remain before anything is allocated, sizes use overflow-checked arithmetic, and tensor data must lie
/// aligned, inside the file and without overlap.
/// </summary>
internal static class GgufParser
{
    // Smallest encodings, used to refuse counts that cannot fit in the file before looping over them.
    private const int MinKvBytes = 8 + 4 + 1;            // key length, value type, one-byte value
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8; // name length, n_dims, one dim, type, offset
    private const int MaxArrayNesting = 8;

    public static GgufFile Parse(ModelBytes bytes)
    {
        var cursor = new ByteCursor(bytes);
        if (bytes.Length < 24) throw cursor.Error(0, $"a GGUF header needs 24 bytes; the file has {bytes.Length}");
        uint magic = cursor.ReadUInt32("the magic");
        if (magic != GgufFile.Magic) throw cursor.Error(0, "not a GGUF file (the magic is not \"GGUF\")");
        uint version = cursor.ReadUInt32("the version");
        switch (version)
        {
            case 2 or 3: break;
            case 1: throw cursor.Error(4, "GGUF version 1 is not supported (it uses 32-bit counts; convert the file to v3)");
            case 0x02000000 or 0x03000000: throw cursor.Error(4, "big-endian GGUF files are not supported");
            default: throw cursor.Error(4, $"unknown GGUF version {version}");
        }
        long countsAt = cursor.Position;
        ulong tensorCount = cursor.ReadUInt64("the tensor count");
        ulong kvCount = cursor.ReadUInt64("the metadata count");
        if (kvCount > (ulong)cursor.Remaining / MinKvBytes)
            throw cursor.Error(countsAt + 8, $"{kvCount} metadata entries cannot fit in the {cursor.Remaining} bytes that follow");
        if (tensorCount > (ulong)cursor.Remaining / MinTensorInfoBytes)
            throw cursor.Error(countsAt, $"{tensorCount} tensors cannot fit in the {cursor.Remaining} bytes that follow");

        var metadata = new GgufMetadata(bytes.Path);
        for (ulong i = 0; i < kvCount; i++)
        {
            long at = cursor.Position;
            string key = ReadString(cursor, "a metadata key");
            if (key.Length == 0) throw cursor.Error(at, "a metadata key is empty");
            var type = ReadType(cursor, $"the type of '{key}'");
            var value = ReadValue(cursor, type, key, 0);
            if (!metadata.TryAdd(key, value)) throw cursor.Error(at, $"metadata key '{key}' appears twice");
        }

        uint alignment = GgufFile.DefaultAlignment;
        if (metadata.TryGetValue("general.alignment", out var alignmentValue))
        {
            if (alignmentValue.Type != GgufValueType.UInt32)
                throw cursor.Error($"general.alignment must be a u32, not {alignmentValue.Describe()}");
            alignment = (uint)alignmentValue.Value;
            if (alignment == 0 || (alignment & (alignment - 1)) != 0)
                throw cursor.Error($"general.alignment {alignment} is not a power of two");
        }

        var tensors = new List<(string Name, long[] Dims, GgmlType Type, ulong Offset, long Elements, long Bytes, long At)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            long at = cursor.Position;
            string name = ReadString(cursor, "a tensor name");
            if (name.Length == 0) throw cursor.Error(at, "a tensor name is empty");
            if (!names.Add(name)) throw cursor.Error(at, $"tensor '{name}' appears twice");
            long dimsAt = cursor.Position;
            uint rank = cursor.ReadUInt32($"the rank of '{name}'");
            if (rank is 0 or > GgufFile.MaxDimensions)
                throw cursor.Error(dimsAt, $"tensor '{name}' has {rank} dimensions (1 to {GgufFile.MaxDimensions} allowed)");
            var dims = new long[rank];
            long elements = 1;
            for (int d = 0; d < rank; d++)
            {
                ulong size = cursor.ReadUInt64($"the dimensions of '{name}'");
                if (size == 0 || size > long.MaxValue)
                    throw cursor.Error(cursor.Position - 8, $"tensor '{name}' has dimension {d} of size {(long)size} (must be positive)");
                dims[d] = (long)size;
                if (elements > long.MaxValue / dims[d])
                    throw cursor.Error(dimsAt, $"tensor '{name}' has more elements than 64 bits can count");
                elements *= dims[d];
            }
            long typeAt = cursor.Position;
            uint typeId = cursor.ReadUInt32($"the type of '{name}'");
            if (!Enum.IsDefined((GgmlType)typeId))
                throw cursor.Error(typeAt, $"tensor '{name}' has type id {typeId}, which Loom does not know");
            var type = (GgmlType)typeId;
            int block = GgmlTypes.BlockSize(type);
            if (dims[0] % block != 0)
                throw cursor.Error(dimsAt, $"tensor '{name}' has rows of {dims[0]} elements, not a whole number of {type} blocks of {block}");
            long byteCount = GgmlTypes.TryByteCount(type, elements);
            if (byteCount < 0) throw cursor.Error(dimsAt, $"tensor '{name}' is too large: its size overflows 64 bits");
            long offsetAt = cursor.Position;
            ulong offset = cursor.ReadUInt64($"the data offset of '{name}'");
            if (offset % alignment != 0)
                throw cursor.Error(offsetAt, $"tensor '{name}' starts at data offset {offset}, not a multiple of the alignment {alignment}");
            tensors.Add((name, dims, type, offset, elements, byteCount, offsetAt));
        }

        long dataOffset = AlignUp(cursor.Position, alignment);
        if (tensors.Count > 0 && dataOffset > bytes.Length)
            throw cursor.Error(cursor.Position, "the file ends before its tensor data begins");

        var infos = new List<GgufTensorInfo>(tensors.Count);
        foreach (var t in tensors)
        {
            long available = bytes.Length - dataOffset;
            if (t.Offset > (ulong)available || (ulong)t.Bytes > (ulong)available - t.Offset)
                throw cursor.Error(t.At, $"tensor '{t.Name}' ({t.Bytes} bytes at data offset {t.Offset}) lies outside the file");
            long fileOffset = dataOffset + (long)t.Offset;
            infos.Add(new GgufTensorInfo(t.Name, t.Dims, t.Type, (long)t.Offset, t.Elements, t.Bytes, fileOffset));
        }
        CheckNoOverlap(cursor, infos);
        return GgufFile.Create(bytes, version, alignment, metadata, infos, dataOffset);
    }

    private static void CheckNoOverlap(ByteCursor cursor, List<GgufTensorInfo> infos)
    {
        var byOffset = infos.OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            var previous = byOffset[i - 1];
            if (previous.Offset + previous.ByteCount > byOffset[i].Offset)
                throw cursor.Error(byOffset[i].FileOffset, $"tensors '{previous.Name}' and '{byOffset[i].Name}' overlap");
        }
    }

    internal static long AlignUp(long position, uint alignment)
    {
        long remainder = position % alignment;
        return remainder == 0 ? position : position + (alignment - remainder);
    }

    private static string ReadString(ByteCursor cursor, string what)
    {
        long at = cursor.Position;
        ulong length = cursor.ReadUInt64(what);
        return cursor.ReadUtf8(length, what, at);
    }

    private static GgufValueType ReadType(ByteCursor cursor, string what)
    {
        long at = cursor.Position;
        uint type = cursor.ReadUInt32(what);
        if (type > (uint)GgufValueType.Float64) throw cursor.Error(at, $"{what} is {type}, not a GGUF value type");
        return (GgufValueType)type;
    }

    private static GgufValue ReadValue(ByteCursor cursor, GgufValueType type, string key, int depth)
    {
        long at = cursor.Position;
        switch (type)
        {
            case GgufValueType.UInt8: return GgufValue.From(cursor.ReadByte(key));
            case GgufValueType.Int8: return GgufValue.From((sbyte)cursor.ReadByte(key));
            case GgufValueType.UInt16: return GgufValue.From(cursor.ReadUInt16(key));
            case GgufValueType.Int16: return GgufValue.From((short)cursor.ReadUInt16(key));
            case GgufValueType.UInt32: return GgufValue.From(cursor.ReadUInt32(key));
            case GgufValueType.Int32: return GgufValue.From((int)cursor.ReadUInt32(key));
            case GgufValueType.Float32: return GgufValue.From(cursor.ReadSingle(key));
            case GgufValueType.UInt64: return GgufValue.From(cursor.ReadUInt64(key));
            case GgufValueType.Int64: return GgufValue.From((long)cursor.ReadUInt64(key));
            case GgufValueType.Float64: return GgufValue.From(cursor.ReadDouble(key));
            case GgufValueType.Bool:
                byte b = cursor.ReadByte(key);
                return b <= 1 ? GgufValue.From(b == 1) : throw cursor.Error(at, $"'{key}' holds {b}, not a bool (0 or 1)");
            case GgufValueType.String: return GgufValue.From(ReadString(cursor, $"the value of '{key}'"));
            default: return ReadArray(cursor, key, depth);
        }
    }

    private static GgufValue ReadArray(ByteCursor cursor, string key, int depth)
    {
        long at = cursor.Position;
        if (depth >= MaxArrayNesting) throw cursor.Error(at, $"'{key}' nests arrays deeper than {MaxArrayNesting} levels");
        var elementType = ReadType(cursor, $"the element type of '{key}'");
        long countAt = cursor.Position;
        ulong count = cursor.ReadUInt64($"the length of '{key}'");
        string what = $"the array '{key}'";
        switch (elementType)
        {
            case GgufValueType.UInt8: return GgufValue.Array(cursor.TakeElements(count, 1, what, countAt).ToArray());
            case GgufValueType.Int8: return GgufValue.Array(Elements<sbyte>(cursor, count, what, countAt));
            case GgufValueType.UInt16: return GgufValue.Array(Elements<ushort>(cursor, count, what, countAt));
            case GgufValueType.Int16: return GgufValue.Array(Elements<short>(cursor, count, what, countAt));
            case GgufValueType.UInt32: return GgufValue.Array(Elements<uint>(cursor, count, what, countAt));
            case GgufValueType.Int32: return GgufValue.Array(Elements<int>(cursor, count, what, countAt));
            case GgufValueType.Float32: return GgufValue.Array(Elements<float>(cursor, count, what, countAt));
            case GgufValueType.UInt64: return GgufValue.Array(Elements<ulong>(cursor, count, what, countAt));
            case GgufValueType.Int64: return GgufValue.Array(Elements<long>(cursor, count, what, countAt));
            case GgufValueType.Float64: return GgufValue.Array(Elements<double>(cursor, count, what, countAt));
            case GgufValueType.Bool:
                var raw = cursor.TakeElements(count, 1, what, countAt);
                int bad = raw.IndexOfAnyExceptInRange((byte)0, (byte)1);
                if (bad >= 0) throw cursor.Error(cursor.Position - raw.Length + bad, $"{what} holds {raw[bad]}, not a bool (0 or 1)");
                var bools = new bool[raw.Length];
                for (int i = 0; i < bools.Length; i++) bools[i] = raw[i] == 1;
                return GgufValue.Array(bools);
            case GgufValueType.String:
                // Each string needs at least its 8-byte length.
                if (count > (ulong)cursor.Remaining / 8) throw cursor.Error(countAt, $"{what} claims {count} strings but only {cursor.Remaining} bytes remain");
                var strings = new string[count];
                // One description for all elements: building one per element would dominate the cost of a vocabulary.
                for (ulong i = 0; i < count; i++) strings[i] = ReadString(cursor, what);
                return GgufValue.Array(strings);
            default:
                // Each nested array needs at least its 4-byte type and 8-byte length.
                if (count > (ulong)cursor.Remaining / 12) throw cursor.Error(countAt, $"{what} claims {count} arrays but only {cursor.Remaining} bytes remain");
                var arrays = new GgufValue[count];
                for (ulong i = 0; i < count; i++) arrays[i] = ReadArray(cursor, key, depth + 1);
                return GgufValue.FromArray(GgufValueType.Array, arrays);
        }
    }

    private static T[] Elements<T>(ByteCursor cursor, ulong count, string what, long countAt) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(cursor.TakeElements(count, System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), what, countAt)).ToArray();
}
