using Loom.Formats;
using Loom.Tensors;

namespace Loom.Tests.Formats;

public class GgufTests
{
    /// <summary>
    /// A GGUF file assembled byte by byte from the specification (not by Loom's writer): two metadata entries and a
    /// 3 × 2 f32 tensor at data offset 0 after padding to 32 bytes. v2 and v3 share this little-endian layout.
    /// </summary>
    internal static byte[] HandAssembled(uint version)
    {
        var b = new RawBytes().Ascii("GGUF").U32(version).U64(1).U64(3);
        b.Str("general.architecture").U32(8).Str("llama");
        b.Str("llama.block_count").U32(4).U32(7);
        b.Str("tokenizer.ggml.scores").U32(9).U32(6).U64(2).F32(-1.5f).F32(2.25f);
        b.Str("w").U32(2).U64(2).U64(3).U32(0).U64(0);
        b.PadTo(32);
        for (int i = 0; i < 6; i++) b.F32(i + 0.5f);
        return b.ToArray();
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    public void ReadsHandAssembledVersion2And3(uint version)
    {
        using var file = GgufFile.Read(HandAssembled(version));
        Assert.Equal(version, file.Version);
        Assert.Equal("llama", file.Metadata.GetString("general.architecture"));
        Assert.Equal(7u, file.Metadata.GetUInt32("llama.block_count"));
        Assert.Equal([-1.5f, 2.25f], file.Metadata.GetArray<float>("tokenizer.ggml.scores"));
        var tensor = Assert.Single(file.Tensors);
        Assert.Equal([2L, 3L], tensor.Dimensions);
        Assert.Equal([3L, 2L], tensor.Shape);
        Assert.Equal(GgmlType.F32, tensor.Type);
        var matrix = file.GetMatrix("w");
        Assert.Equal((3, 2), (matrix.Rows, matrix.Cols));
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(matrix.Data.Span).ToArray();
        Assert.Equal([0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f], values);
    }

    [Fact]
    public void WriterMatchesTheSpecByteForByte()
    {
        // Our writer, fed the same content, must produce exactly the hand-assembled v3 bytes.
        var writer = new GgufWriter()
            .AddMetadata("general.architecture", "llama")
            .AddMetadata("llama.block_count", 7u)
            .AddMetadata("tokenizer.ggml.scores", new[] { -1.5f, 2.25f })
            .AddTensor("w", [0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f], 2, 3);
        using var stream = new MemoryStream();
        writer.Write(stream);
        Assert.Equal(HandAssembled(3), stream.ToArray());
    }

    [Fact]
    public void RoundTripsEveryMetadataValueType()
    {
        var nested = GgufValue.Array([GgufValue.Array(new[] { 1, 2 }), GgufValue.Array(new[] { "x", "ÿ€😀" }), GgufValue.Array(Array.Empty<bool>())]);
        var writer = new GgufWriter()
            .AddMetadata("u8", GgufValue.From((byte)200))
            .AddMetadata("i8", GgufValue.From((sbyte)-100))
            .AddMetadata("u16", GgufValue.From((ushort)60000))
            .AddMetadata("i16", GgufValue.From((short)-30000))
            .AddMetadata("u32", 4_000_000_000u)
            .AddMetadata("i32", -2_000_000_000)
            .AddMetadata("f32", 3.25f)
            .AddMetadata("bool", true)
            .AddMetadata("string", "héllo")
            .AddMetadata("empty", "")
            .AddMetadata("u64", ulong.MaxValue)
            .AddMetadata("i64", long.MinValue)
            .AddMetadata("f64", Math.PI)
            .AddMetadata("a.u8", GgufValue.Array(new byte[] { 1, 2, 255 }))
            .AddMetadata("a.i8", GgufValue.Array(new sbyte[] { -1, 1 }))
            .AddMetadata("a.u16", GgufValue.Array(new ushort[] { 65535 }))
            .AddMetadata("a.i16", GgufValue.Array(new short[] { -2, 2 }))
            .AddMetadata("a.u32", GgufValue.Array(new uint[] { 7, 8 }))
            .AddMetadata("a.i32", new[] { -7, 8 })
            .AddMetadata("a.f32", new[] { 1e-6f, -0f })
            .AddMetadata("a.bool", GgufValue.Array(new[] { true, false, true }))
            .AddMetadata("a.string", new[] { "a", "", "long string" })
            .AddMetadata("a.u64", GgufValue.Array(new[] { ulong.MaxValue }))
            .AddMetadata("a.i64", GgufValue.Array(new[] { long.MinValue, 0L }))
            .AddMetadata("a.f64", GgufValue.Array(new[] { double.Epsilon }))
            .AddMetadata("a.nested", nested);
        using var file = GgufFile.Read(ToBytes(writer));
        var m = file.Metadata;
        Assert.Equal(26, m.Count);
        Assert.Equal((byte)200, m["u8"].Value);
        Assert.Equal((sbyte)-100, m["i8"].Value);
        Assert.Equal((ushort)60000, m["u16"].Value);
        Assert.Equal((short)-30000, m["i16"].Value);
        Assert.Equal(4_000_000_000u, m.GetUInt32("u32"));
        Assert.Equal(-2_000_000_000, m.GetInt32("i32"));
        Assert.Equal(3.25f, m.GetSingle("f32"));
        Assert.True(m.GetBool("bool"));
        Assert.Equal("héllo", m.GetString("string"));
        Assert.Equal("", m.GetString("empty"));
        Assert.Equal(ulong.MaxValue, m.GetUInt64("u64"));
        Assert.Equal(long.MinValue, m.GetInt64("i64"));
        Assert.Equal(Math.PI, m.GetDouble("f64"));
        Assert.Equal(new byte[] { 1, 2, 255 }, m.GetArray<byte>("a.u8"));
        Assert.Equal(new sbyte[] { -1, 1 }, m.GetArray<sbyte>("a.i8"));
        Assert.Equal(new ushort[] { 65535 }, m.GetArray<ushort>("a.u16"));
        Assert.Equal(new short[] { -2, 2 }, m.GetArray<short>("a.i16"));
        Assert.Equal(new uint[] { 7, 8 }, m.GetArray<uint>("a.u32"));
        Assert.Equal(new[] { -7, 8 }, m.GetArray<int>("a.i32"));
        Assert.Equal(new[] { 1e-6f, -0f }, m.GetArray<float>("a.f32"));
        Assert.Equal(new[] { true, false, true }, m.GetArray<bool>("a.bool"));
        Assert.Equal(new[] { "a", "", "long string" }, m.GetArray<string>("a.string"));
        Assert.Equal(new[] { ulong.MaxValue }, m.GetArray<ulong>("a.u64"));
        Assert.Equal(new[] { long.MinValue, 0L }, m.GetArray<long>("a.i64"));
        Assert.Equal(new[] { double.Epsilon }, m.GetArray<double>("a.f64"));
        var arrays = m.GetArray<GgufValue>("a.nested");
        Assert.Equal(3, arrays.Length);
        Assert.Equal(new[] { 1, 2 }, arrays[0].AsArray<int>());
        Assert.Equal(new[] { "x", "ÿ€😀" }, arrays[1].AsArray<string>());
        Assert.Equal(GgufValueType.Bool, arrays[2].ElementType);
        Assert.Empty(arrays[2].AsArray<bool>());
        Assert.Equal(["u8", "i8", "u16"], m.Keys.Take(3));
    }

    [Fact]
    public void TypedGettersConvertWhenTheValueFitsAndNameTheKeyWhenNot()
    {
        var writer = new GgufWriter().AddMetadata("big", ulong.MaxValue).AddMetadata("small", 5UL).AddMetadata("neg", -1).AddMetadata("s", "x");
        using var file = GgufFile.Read(ToBytes(writer));
        var m = file.Metadata;
        Assert.Equal(5u, m.GetUInt32("small"));
        Assert.Equal(5, m.GetInt32("small"));
        Assert.Equal(5.0, m.GetDouble("small"));
        var e = Assert.Throws<ModelFormatException>(() => m.GetUInt32("big"));
        Assert.Contains("'big'", e.Message);
        Assert.Throws<ModelFormatException>(() => m.GetUInt64("neg"));
        Assert.Contains("'nope'", Assert.Throws<ModelFormatException>(() => m.GetString("nope")).Message);
        Assert.Throws<ModelFormatException>(() => m.GetArray<string>("s"));
        Assert.False(m.TryGetUInt32("big", out _));
        Assert.False(m.TryGetString("nope", out _));
        Assert.True(m.TryGetInt64("neg", out long neg) && neg == -1);
        Assert.Equal([-3L, 4L], GgufValue.Array(new[] { -3, 4 }).AsInt64Array());
        Assert.Equal([5L], GgufValue.Array(new ushort[] { 5 }).AsInt64Array());
        Assert.Throws<InvalidCastException>(() => GgufValue.Array(new[] { 1f }).AsInt64Array());
        Assert.Throws<InvalidCastException>(() => GgufValue.From(3).AsInt64Array());
    }

    public static TheoryData<uint> Alignments => new() { 1u, 32u, 64u, 4096u };

    [Theory]
    [MemberData(nameof(Alignments))]
    public void RoundTripsTensorsOfEveryTypeAligned(uint alignment)
    {
        var random = new Random(42);
        var expected = new Dictionary<string, byte[]>();
        var writer = new GgufWriter { Alignment = alignment }.AddMetadata("general.architecture", "test");
        foreach (var type in Enum.GetValues<GgmlType>())
        {
            var data = new byte[GgmlTypes.TryByteCount(type, 256 * 3)];
            random.NextBytes(data);
            expected[type.ToString()] = data;
            writer.AddTensor(type.ToString(), type, [256, 3], data);
        }
        using var file = GgufFile.Read(ToBytes(writer));
        Assert.Equal(alignment, file.Alignment);
        Assert.Equal(expected.Count, file.Tensors.Count);
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(0, tensor.FileOffset % alignment);
            Assert.Equal(expected[tensor.Name], file.GetData(tensor).ToArray());
            Assert.Equal(768, tensor.ElementCount);
            if (!GgmlTypes.IsSupported(tensor.Type))
            {
                Assert.Throws<ModelFormatException>(() => file.GetMatrix(tensor.Name));
                continue;
            }
            var matrix = file.GetMatrix(tensor.Name);
            Assert.Equal((tensor.Type, 3, 256), (matrix.Type, matrix.Rows, matrix.Cols));
            Assert.Equal(expected[tensor.Name], matrix.Data.ToArray());
        }
    }

    [Fact]
    public void WeightMatrixRoundTripsThroughAFileOnDisk()
    {
        var values = Enumerable.Range(0, 4 * 64).Select(i => (float)Math.Sin(i)).ToArray();
        var matrix = WeightMatrix.FromFloats(values, 4, 64);
        string path = Path.Combine(Path.GetTempPath(), $"loom-{Guid.NewGuid():N}.gguf");
        try
        {
            new GgufWriter().AddMetadata("general.architecture", "test").AddTensor("m", matrix).Write(path);
            using var file = GgufFile.Open(path);
            var read = file.GetMatrix("m");
            Assert.Equal((4, 64), (read.Rows, read.Cols));
            Assert.Equal(matrix.Data.ToArray(), read.Data.ToArray());
            Assert.Equal([64L, 4L], file.GetTensor("m").Dimensions);
            file.Dispose();
            Assert.Throws<ObjectDisposedException>(() => read.Data.Span[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WriterRefusesInconsistentTensors()
    {
        var writer = new GgufWriter();
        Assert.Throws<ArgumentException>(() => writer.AddTensor("q", GgmlType.Q8_0, [33], new byte[34]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("f", GgmlType.F32, [2, 2], new byte[15]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("z", GgmlType.F32, [0], Array.Empty<byte>()));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("o", GgmlType.F32, [long.MaxValue, 4], new byte[4]));
        writer.AddTensor("a", [1f], 1);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("a", [1f], 1));
        Assert.Throws<ArgumentException>(() => writer.AddMetadata("general.alignment", 64u));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Alignment = 48);
    }

    [Fact]
    public void AtomicWriteKeepsTheOldFileWhenWritingFails()
    {
        string dir = Directory.CreateTempSubdirectory("loom-atomic").FullName;
        string path = Path.Combine(dir, "m.gguf");
        try
        {
            File.WriteAllText(path, "old");
            Assert.Throws<IOException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new IOException("disk full"); }));
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));
            var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            var writer = new GgufWriter().AddTensor("t", [1f], 1);
            Assert.Throws<OperationCanceledException>(() => writer.Write(path, cancelled.Token));
            Assert.Throws<OperationCanceledException>(() => new SafetensorsWriter().AddTensor("t", [1f], 1).Write(path, cancelled.Token));
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));
            new GgufWriter().AddMetadata("general.architecture", "x").Write(path);
            using var file = GgufFile.Open(path);
            Assert.Equal("x", file.Metadata.GetString("general.architecture"));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ReadsTensorsBeyond4GiBAndRefusesToHandOutOneOver2GiB()
    {
        // A sparse 6.5 GiB file: a small tensor past the 4 GiB mark and a 2.5 GiB one. Mapping it costs no disk or memory.
        const long far = (1L << 32) + 64, big = 5L << 29;
        var header = new RawBytes().Ascii("GGUF").U32(3).U64(2).U64(0)
            .Str("far").U32(1).U64(16).U32(0).U64((ulong)far)
            .Str("big").U32(1).U64((ulong)big).U32(24).U64((ulong)(far + 64))   // I8: one byte per element
            .PadTo(32).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"loom-sparse-{Guid.NewGuid():N}.gguf");
        try
        {
            using (var stream = File.Create(path))
            {
                stream.Write(header);
                stream.SetLength(header.Length + far + 64 + big);
                stream.Position = header.Length + far;
                stream.Write(BitConverter.GetBytes(42f));
            }
            using var file = GgufFile.Open(path);
            var data = file.GetData("far");
            Assert.Equal(64, data.Length);
            Assert.Equal(42f, BitConverter.ToSingle(data.Span));
            Assert.Equal(big, file.GetTensor("big").ByteCount);
            Assert.Contains("up to 2 GiB", Assert.Throws<ModelFormatException>(() => file.GetData("big")).Message);
            Assert.Equal(big + 64, ModelSummary.Read(path).TensorBytes);
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static byte[] ToBytes(GgufWriter writer)
    {
        using var stream = new MemoryStream();
        writer.Write(stream);
        return stream.ToArray();
    }
}
