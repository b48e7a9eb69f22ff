using Loom.Formats;
using Loom.Tensors;

namespace Loom.Tests.Formats;

/// <summary>Loom's GGUF writer and reader against llama.cpp's own (ggml's gguf_* functions via LLamaSharp.Backend.Cpu 0.30.0).</summary>
public sealed class LlamaCppGgufTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loom-llamacpp").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static byte[] RandomBytes(Random random, GgmlType type, long elements)
    {
        var bytes = new byte[GgmlTypes.TryByteCount(type, elements)];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void BlockLayoutsMatchGgml()
    {
        foreach (var type in Enum.GetValues<GgmlType>())
            Assert.Equal(LlamaCppGguf.BlockLayout(type), (GgmlTypes.BlockBytes(type), GgmlTypes.BlockSize(type)));
    }

    [Theory]
    [InlineData(32u)]
    [InlineData(64u)]
    public void LlamaCppReadsWhatLoomWrites(uint alignment)
    {
        var random = new Random(3);
        var writer = new GgufWriter { Alignment = alignment }
            .AddMetadata("general.architecture", "llama")
            .AddMetadata("u8", GgufValue.From((byte)7))
            .AddMetadata("i8", GgufValue.From((sbyte)-7))
            .AddMetadata("u16", GgufValue.From((ushort)700))
            .AddMetadata("i16", GgufValue.From((short)-700))
            .AddMetadata("u32", 70_000u)
            .AddMetadata("i32", -70_000)
            .AddMetadata("f32", 0.1f)
            .AddMetadata("bool", true)
            .AddMetadata("u64", ulong.MaxValue)
            .AddMetadata("i64", long.MinValue)
            .AddMetadata("f64", Math.E)
            .AddMetadata("str", "ünïcödé ✓")
            .AddMetadata("a.u8", GgufValue.Array(new byte[] { 1, 2 }))
            .AddMetadata("a.i16", GgufValue.Array(new short[] { -1, 1 }))
            .AddMetadata("a.u32", GgufValue.Array(new uint[] { 3, 4, 5 }))
            .AddMetadata("a.i32", new[] { -3, 4 })
            .AddMetadata("a.f32", new[] { 0.5f, -0.25f })
            .AddMetadata("a.bool", GgufValue.Array(new[] { false, true }))
            .AddMetadata("a.u64", GgufValue.Array(new[] { 1UL << 60 }))
            .AddMetadata("a.i64", GgufValue.Array(new[] { -(1L << 60) }))
            .AddMetadata("a.f64", GgufValue.Array(new[] { 1e300 }))
            .AddMetadata("a.str", new[] { "x", "", "<|im_end|>" });
        var expected = new List<(string Name, GgmlType Type, long[] Dims, byte[] Data)>();
        foreach (var type in Enum.GetValues<GgmlType>())
        {
            long[] dims = type == GgmlType.F32 ? [256, 3, 2] : [256, 3];
            var data = RandomBytes(random, type, dims.Aggregate(1L, (a, d) => a * d));
            writer.AddTensor($"t.{type}", type, dims, data);
            expected.Add(($"t.{type}", type, dims, data));
        }
        string path = Path.Combine(_dir, "loom.gguf");
        writer.Write(path);

        var view = LlamaCppGguf.Read(path);
        Assert.NotNull(view);
        using var ours = GgufFile.Open(path);
        Assert.Equal(3u, view.Version);
        Assert.Equal(alignment, (uint)view.Alignment);
        Assert.Equal(ours.DataOffset, view.DataOffset);
        Assert.Equal(ours.Metadata.Select(p => p.Key), view.Metadata.Select(m => m.Key));
        foreach (var (key, type, value) in view.Metadata)
        {
            var mine = ours.Metadata[key];
            Assert.Equal((uint)mine.Type, type);
            Assert.Equal(mine.Value, value);
        }
        Assert.Equal(expected.Count, view.Tensors.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var (name, type, offset, size, dims) = view.Tensors[i];
            Assert.Equal((expected[i].Name, (uint)expected[i].Type), (name, type));
            Assert.Equal(expected[i].Dims, dims);
            Assert.Equal(ours.Tensors[i].Offset, offset);
            Assert.Equal(expected[i].Data.Length, size);
        }
    }

    [Fact]
    public void LoomReadsWhatLlamaCppWrites()
    {
        var random = new Random(4);
        var tensors = new List<(string Name, GgmlType Type, long[] Dims, byte[] Data)>();
        foreach (var (type, dims) in new (GgmlType, long[])[]
                 { (GgmlType.F32, [5, 3]), (GgmlType.F16, [64]), (GgmlType.BF16, [8, 2, 2]), (GgmlType.Q8_0, [64, 3]),
                   (GgmlType.Q4_0, [32, 2]), (GgmlType.Q4_K, [256, 2]), (GgmlType.Q6_K, [256, 2]), (GgmlType.I32, [7]) })
            tensors.Add(($"w.{type}", type, dims, RandomBytes(random, type, dims.Aggregate(1L, (a, d) => a * d))));
        string path = Path.Combine(_dir, "llama.gguf");
        LlamaCppGguf.Write(path, w =>
        {
            w.Str("general.architecture", "qwen2");
            w.U8("u8", 255); w.I8("i8", -128); w.U16("u16", 65535); w.I16("i16", -32768);
            w.U32("u32", uint.MaxValue); w.I32("i32", int.MinValue); w.F32("f32", -1.5f); w.Bool("bool", true);
            w.U64("u64", ulong.MaxValue); w.I64("i64", long.MinValue); w.F64("f64", double.MaxValue);
            w.Str("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}");
            w.Strings("tokenizer.ggml.tokens", ["<|endoftext|>", "Ġthe", "ü"]);
            w.Array("a.f32", 6, new[] { 1f, 2f });
            w.Array("a.i32", 5, new[] { -1, 0, 1 });
            w.Array("a.u64", 10, new[] { 42UL });
            w.Array("a.u8", 0, new byte[] { 9 });
        }, tensors);

        using var file = GgufFile.Open(path);
        var m = file.Metadata;
        Assert.Equal(3u, file.Version);
        Assert.Equal(32u, file.Alignment);
        Assert.Equal("qwen2", m.GetString("general.architecture"));
        Assert.Equal((byte)255, m["u8"].Value);
        Assert.Equal((sbyte)-128, m["i8"].Value);
        Assert.Equal((ushort)65535, m["u16"].Value);
        Assert.Equal((short)-32768, m["i16"].Value);
        Assert.Equal(uint.MaxValue, m["u32"].Value);
        Assert.Equal(int.MinValue, m["i32"].Value);
        Assert.Equal(-1.5f, m["f32"].Value);
        Assert.Equal(true, m["bool"].Value);
        Assert.Equal(ulong.MaxValue, m["u64"].Value);
        Assert.Equal(long.MinValue, m["i64"].Value);
        Assert.Equal(double.MaxValue, m["f64"].Value);
        Assert.Equal(["<|endoftext|>", "Ġthe", "ü"], m.GetArray<string>("tokenizer.ggml.tokens"));
        Assert.Equal([1f, 2f], m.GetArray<float>("a.f32"));
        Assert.Equal([-1, 0, 1], m.GetArray<int>("a.i32"));
        Assert.Equal([42UL], m.GetArray<ulong>("a.u64"));
        Assert.Equal([(byte)9], m.GetArray<byte>("a.u8"));
        Assert.True(ModelSummary.Read(path).HasChatTemplate);

        Assert.Equal(tensors.Count, file.Tensors.Count);
        foreach (var (name, type, dims, data) in tensors)
        {
            var t = file.GetTensor(name);
            Assert.Equal(type, t.Type);
            Assert.Equal(dims, t.Dimensions);
            Assert.Equal(0, t.FileOffset % 32);
            Assert.Equal(data, file.GetData(t).ToArray());
        }
    }

    [Fact]
    public void BothRefuseAFileWhoseOffsetsIgnoreItsAlignment()
    {
        // llama.cpp's writer lays tensors out at 32 bytes even when general.alignment says 64 (it must be set on the
        // context, not as a value): its own reader then refuses the file, and so does Loom's.
        string path = Path.Combine(_dir, "misaligned.gguf");
        var random = new Random(5);
        LlamaCppGguf.Write(path, w => w.U32("general.alignment", 64),
            [("a", GgmlType.F32, [8], RandomBytes(random, GgmlType.F32, 8)), ("b", GgmlType.F32, [8], RandomBytes(random, GgmlType.F32, 8))]);
        Assert.Null(LlamaCppGguf.Read(path));
        Assert.Contains("not a multiple of the alignment 64", Assert.Throws<ModelFormatException>(() => GgufFile.Open(path)).Message);
    }
}
