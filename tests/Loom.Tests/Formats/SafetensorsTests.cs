using System.Text;
using Loom.Formats;
using Loom.Tensors;

namespace Loom.Tests.Formats;

public class SafetensorsTests
{
    /// <summary>A file assembled by hand from the format description: u64 header length, JSON header, data.</summary>
    internal static byte[] HandAssembled()
    {
        string header = """{"b":{"dtype":"I64","shape":[2],"data_offsets":[24,40]},"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""";
        var b = new RawBytes().U64((ulong)header.Length).Ascii(header);
        for (int i = 0; i < 6; i++) b.F32(i * 1.5f);
        b.U64(7).U64(unchecked((ulong)-9L));
        return b.ToArray();
    }

    [Fact]
    public void ReadsAHandAssembledFile()
    {
        using var file = SafetensorsFile.Read(HandAssembled());
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(["b", "a"], file.Tensors.Select(t => t.Name));
        var a = file.GetTensor("a");
        Assert.Equal(SafetensorsDType.F32, a.DType);
        Assert.Equal([2L, 3L], a.Shape);
        var matrix = file.GetMatrix("a");
        Assert.Equal((2, 3), (matrix.Rows, matrix.Cols));
        Assert.Equal([0f, 1.5f, 3f, 4.5f, 6f, 7.5f], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(matrix.Data.Span).ToArray());
        Assert.Equal([7L, -9L], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(file.GetData("b").Span).ToArray());
    }

    [Fact]
    public void RoundTripsEveryDTypeAndMetadata()
    {
        var random = new Random(7);
        var writer = new SafetensorsWriter().AddMetadata("format", "pt").AddMetadata("note", "ünïcode");
        var expected = new Dictionary<string, byte[]>();
        foreach (var dtype in Enum.GetValues<SafetensorsDType>())
        {
            var data = new byte[SafetensorsDTypes.ElementSize(dtype) * 15];
            random.NextBytes(data);
            if (dtype == SafetensorsDType.Bool) Array.Fill<byte>(data, 1);
            expected[dtype.ToString()] = data;
            writer.AddTensor(dtype.ToString(), dtype, [3, 5], data);
        }
        writer.AddTensor("empty", SafetensorsDType.F32, [0, 4], Array.Empty<byte>());
        writer.AddTensor("scalar", [2.5f]);
        using var stream = new MemoryStream();
        writer.Write(stream);
        byte[] bytes = stream.ToArray();
        Assert.Equal(0, (long)BitConverter.ToUInt64(bytes) % 8);
        using var file = SafetensorsFile.Read(bytes);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.FileOffset % SafetensorsDTypes.ElementSize(t.DType)));
        Assert.Equal("ünïcode", file.Metadata["note"]);
        foreach (var (name, data) in expected)
        {
            var t = file.GetTensor(name);
            Assert.Equal(name, t.DType.ToString());
            Assert.Equal([3L, 5L], t.Shape);
            Assert.Equal(data, file.GetData(t).ToArray());
            if (SafetensorsDTypes.TryGetGgmlType(t.DType, out var ggml))
                Assert.Equal((ggml, 3, 5), (file.GetMatrix(name).Type, file.GetMatrix(name).Rows, file.GetMatrix(name).Cols));
            else
                Assert.Throws<ModelFormatException>(() => file.GetMatrix(name));
        }
        Assert.Equal(0, file.GetTensor("empty").ByteCount);
        Assert.Throws<ModelFormatException>(() => file.GetMatrix("empty"));
        Assert.Empty(file.GetTensor("scalar").Shape);
        Assert.Equal(2.5f, BitConverter.ToSingle(file.GetData("scalar").Span));
    }

    [Fact]
    public void ShardedIndexFindsEachTensorInItsShard()
    {
        string dir = Directory.CreateTempSubdirectory("loom-shards").FullName;
        try
        {
            new SafetensorsWriter().AddTensor("x.weight", [1f, 2f], 2).Write(Path.Combine(dir, "model-00001-of-00002.safetensors"));
            new SafetensorsWriter().AddTensor("y.weight", [3f, 4f, 5f, 6f], 2, 2).AddTensor("unlisted", [0f], 1)
                .Write(Path.Combine(dir, "model-00002-of-00002.safetensors"));
            File.WriteAllText(Path.Combine(dir, SafetensorsModel.IndexFileName), """
                {"metadata": {"total_size": 24}, "weight_map": {"y.weight": "model-00002-of-00002.safetensors", "x.weight": "model-00001-of-00002.safetensors"}}
                """);
            using var model = SafetensorsModel.Open(dir);
            Assert.Equal(2, model.Shards.Count);
            Assert.Equal(["y.weight", "x.weight"], model.Tensors.Select(t => t.Name));
            Assert.Equal("24", model.Metadata["total_size"]);
            var y = model.GetMatrix("y.weight");
            Assert.Equal((2, 2), (y.Rows, y.Cols));
            Assert.Equal(3f, BitConverter.ToSingle(y.Data.Span));
            Assert.Equal(2f, BitConverter.ToSingle(model.GetData("x.weight").Span[4..]));
            Assert.False(model.TryGetTensor("unlisted", out _));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("""{"weight_map": {"x": "../secret.safetensors"}}""", "outside the folder")]
    [InlineData("""{"weight_map": {"x": "/etc/passwd"}}""", "outside the folder")]
    [InlineData("""{"weight_map": {"x": "missing.safetensors"}}""", "does not exist")]
    [InlineData("""{"weight_map": {"nope": "a.safetensors"}}""", "not in the shard")]
    [InlineData("""{"weight_map": {"x": 3}}""", "not a file name")]
    [InlineData("""{"weight_map": [1]}""", "no weight_map")]
    [InlineData("""{"weight_map": {"x": "a.safetensors" """, "not valid JSON")]
    public void HostileIndexesAreRefused(string index, string problem)
    {
        string dir = Directory.CreateTempSubdirectory("loom-index").FullName;
        try
        {
            new SafetensorsWriter().AddTensor("x", [1f], 1).Write(Path.Combine(dir, "a.safetensors"));
            string path = Path.Combine(dir, SafetensorsModel.IndexFileName);
            File.WriteAllText(path, index);
            var e = Assert.Throws<ModelFormatException>(() => SafetensorsModel.Open(path));
            Assert.Contains(problem, e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void FolderWithoutWeightsIsRefused()
    {
        string dir = Directory.CreateTempSubdirectory("loom-empty").FullName;
        try
        {
            Assert.Contains("no .safetensors", Assert.Throws<ModelFormatException>(() => SafetensorsModel.Open(dir)).Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    internal static byte[] WithHeader(string header, int dataBytes)
    {
        var b = new RawBytes().U64((ulong)Encoding.UTF8.GetByteCount(header)).Add(Encoding.UTF8.GetBytes(header));
        return b.Add(new byte[dataBytes]).ToArray();
    }
}
