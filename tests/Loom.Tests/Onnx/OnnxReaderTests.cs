using Loom.Formats;

namespace Loom.Tests.Onnx;

public class OnnxReaderTests
{
    [Fact]
    public void ReadsEveryEncodingOfASmallModel()
    {
        using var model = OnnxModel.Read(ProtoWriter.SmallModel(), "small.onnx");
        Assert.Equal(8, model.IrVersion);
        Assert.Equal("loom-test", model.Producer);
        Assert.Equal(17, model.Opsets[""]);
        var g = model.Graph;
        Assert.Equal([1f, 2, 3, 4, 5, 6], g.Initializer("w_raw")!.AsFloats().ToArray());
        Assert.Equal([2L, 3], g.Initializer("w_raw")!.Dims);
        Assert.Equal([0.5f, -1.5f, 2.25f], g.Initializer("b_packed")!.AsFloats().ToArray());
        Assert.Equal([7f, -8f], g.Initializer("loose")!.AsFloats().ToArray());
        Assert.Equal([1L, -1, 384], g.Initializer("shape")!.ToInt64s());
        Assert.Equal(OnnxDataType.Int16, g.Initializer("int16s")!.DataType);
        Assert.Equal([-3L, 300], g.Initializer("int16s")!.ToInt64s());
        var node = Assert.Single(g.Nodes);
        Assert.Equal(("MatMul", "mm"), (node.OpType, node.Name));
        Assert.Equal(["x", "w_raw"], node.Inputs);
        Assert.Equal(0.25f, node.Attribute("alpha")!.Float);
        var input = Assert.Single(g.Inputs);
        Assert.Equal(OnnxDataType.Float, input.ElementType);
        Assert.Equal("batch,2", string.Join(",", input.Shape));
        Assert.Equal("y", Assert.Single(g.Outputs).Name);
    }

    [Fact]
    public void RawDataPointsIntoTheFileWithoutCopying()
    {
        var bytes = ProtoWriter.SmallModel();
        using var model = OnnxModel.Read(bytes);
        var data = model.Graph.Initializer("w_raw")!.Data;
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment));
        Assert.Same(bytes, segment.Array);
    }

    [Fact]
    public void ExternalDataIsRefusedByName()
    {
        var tensor = new ProtoWriter().Int(1, 4).Int(2, 1).String(8, "big")
            .Message(13, new ProtoWriter().String(1, "location").String(2, "weights.bin")).Int(14, 1);
        var bytes = new ProtoWriter().Int(1, 8).Message(7, new ProtoWriter().Message(5, tensor)).ToArray();
        var error = Assert.Throws<ModelFormatException>(() => OnnxModel.Read(bytes, "ext.onnx"));
        Assert.Contains("'big'", error.Message);
        Assert.Contains("external", error.Message);
    }

    [Theory]
    [InlineData("raw_data shorter than the shape")]
    [InlineData("length past the end")]
    [InlineData("dims product overflows")]
    [InlineData("not protobuf")]
    public void MalformedFilesAreRefusedWithTheOffset(string problem)
    {
        byte[] bytes = problem switch
        {
            "raw_data shorter than the shape" => Model(new ProtoWriter().Int(1, 4).Int(2, 1).String(8, "t").Bytes(9, new byte[12])),
            "length past the end" => [0x08, 0x07, 0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x01],
            "dims product overflows" => Model(new ProtoWriter().Int(1, 1L << 40).Int(1, 1L << 40).Int(2, 1).String(8, "t").Bytes(9, new byte[4])),
            _ => "hello, world, this is text"u8.ToArray(),
        };
        var error = Assert.Throws<ModelFormatException>(() => OnnxModel.Read(bytes, "bad.onnx"));
        Assert.Equal("bad.onnx", error.FilePath);
        Assert.True(error.Offset >= 0 || problem == "not protobuf", error.Message);
    }

    private static byte[] Model(ProtoWriter tensor) => new ProtoWriter().Int(1, 8).Message(7, new ProtoWriter().Message(5, tensor)).ToArray();

    /// <summary>Seeded mutations of a valid file: each mutant loads consistently or is refused with ModelFormatException.</summary>
    [Fact]
    public void FuzzedFilesLoadConsistentlyOrAreRefused()
    {
        var original = ProtoWriter.SmallModel();
        var random = new Random(20261129);
        int refused = 0, loaded = 0;
        for (int trial = 0; trial < 20_000; trial++)
        {
            var bytes = (byte[])original.Clone();
            switch (trial % 4)
            {
                case 0: // bit flips
                    for (int f = random.Next(1, 4); f > 0; f--) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // truncation
                    Array.Resize(ref bytes, random.Next(bytes.Length));
                    break;
                case 2: // a huge varint (length or count) spliced in
                    {
                        int at = random.Next(bytes.Length);
                        byte[] huge = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
                        bytes = [.. bytes[..at], .. huge[..random.Next(1, huge.Length + 1)], .. bytes[at..]];
                        break;
                    }
                default: // random byte overwrites
                    for (int f = random.Next(1, 6); f > 0; f--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
            }
            try
            {
                using var model = OnnxModel.Read(bytes, "fuzz.onnx");
                foreach (var t in model.Graph.Initializers)
                {
                    Assert.Equal(t.ElementCount * ElementSize(t.DataType), t.Data.Length);
                    if (t.DataType == OnnxDataType.Float) Assert.Equal(t.ElementCount, t.AsFloats().Length);
                }
                loaded++;
            }
            catch (ModelFormatException e)
            {
                Assert.True(e.Offset <= bytes.Length, $"offset {e.Offset} beyond {bytes.Length} bytes");
                refused++;
            }
        }
        Assert.True(refused > 1000 && loaded > 100, $"refused {refused}, loaded {loaded}");
    }

    private static long ElementSize(OnnxDataType type) => type switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
        OnnxDataType.Int64 or OnnxDataType.UInt64 or OnnxDataType.Double => 8,
        OnnxDataType.Int16 or OnnxDataType.UInt16 or OnnxDataType.Float16 or OnnxDataType.BFloat16 => 2,
        _ => 1,
    };

    [Theory]
    [InlineData("minilm", 13, new[] { "last_hidden_state", "924" })]
    [InlineData("arctic-xs", 11, new[] { "last_hidden_state" })]
    public void ReadsThePackagedGraphs(string name, long opset, string[] outputs)
    {
        using var model = OnnxModel.Open(DefaultModels.Resolve(name).ModelPath);
        var g = model.Graph;
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], g.Inputs.Select(i => i.Name));
        Assert.All(g.Inputs, i => Assert.Equal(OnnxDataType.Int64, i.ElementType));
        Assert.Equal(outputs, g.Outputs.Select(o => o.Name));
        var word = g.Initializer("embeddings.word_embeddings.weight")!;
        Assert.Equal([30522L, 384], word.Dims);
        Assert.Equal(OnnxDataType.Float, word.DataType);
        Assert.Equal([1536L], g.Initializer("encoder.layer.5.intermediate.dense.bias")!.Dims);
        // Six layers × (Q, K, V, O 384×384; FFN 384×1536 and 1536×384) anonymous MatMul weights.
        var matrices = g.Initializers.Where(t => t.Dims.Count == 2 && !t.Name.StartsWith("embeddings") && !t.Name.StartsWith("pooler")).ToList();
        Assert.Equal(36, matrices.Count);
        Assert.Equal(24, matrices.Count(t => t.Dims.SequenceEqual([384L, 384])));
        Assert.Equal(opset, model.Opsets[""]);
        Assert.Contains(g.Nodes, n => n.OpType == "Softmax");
        // Real weights: finite and not all zero.
        var values = word.AsFloats();
        Assert.True(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(values) > 1);
    }

    [Fact]
    public void MissingAndEmptyFilesAreRefused()
    {
        Assert.Throws<FileNotFoundException>(() => OnnxModel.Open("/nonexistent/model.onnx"));
        var empty = Path.GetTempFileName();
        try
        {
            var error = Assert.Throws<ModelFormatException>(() => OnnxModel.Open(empty));
            Assert.Contains("empty", error.Message);
        }
        finally { File.Delete(empty); }
    }
}
