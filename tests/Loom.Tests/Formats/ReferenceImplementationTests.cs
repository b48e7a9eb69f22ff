using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Loom.Formats;

namespace Loom.Tests.Formats;

/// <summary>
/// Loom's GGUF reader and writer against Hugging Face's <c>@huggingface/gguf</c> 0.4.6, an independent implementation:
/// a header its serializer wrote, and its parse of a file Loom's writer wrote (see Reference/README.md).
/// </summary>
public class ReferenceImplementationTests
{
    private static string Reference(string name, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Reference", name);

    [Fact]
    public void ReadsAHeaderWrittenByHuggingFaceGguf()
    {
        // The values below are the ones hf-gguf-serialize.mjs gave the serializer.
        using var file = GgufFile.Open(Reference("hf-gguf-serialized.gguf"));
        var m = file.Metadata;
        Assert.Equal(3u, file.Version);
        Assert.Empty(file.Tensors);
        Assert.Equal(15, m.Count);
        Assert.Equal("gpt2", m.GetString("general.architecture"));
        Assert.Equal("héllo wörld", m.GetString("general.name"));
        Assert.Equal((GgufValueType.UInt8, (object)(byte)250), (m["u8"].Type, m["u8"].Value));
        Assert.Equal((GgufValueType.Int8, (object)(sbyte)-120), (m["i8"].Type, m["i8"].Value));
        Assert.Equal((GgufValueType.UInt16, (object)(ushort)65000), (m["u16"].Type, m["u16"].Value));
        Assert.Equal((GgufValueType.Int16, (object)(short)-32000), (m["i16"].Type, m["i16"].Value));
        Assert.Equal((GgufValueType.UInt32, (object)4_000_000_000u), (m["u32"].Type, m["u32"].Value));
        Assert.Equal((GgufValueType.Int32, (object)-2_000_000_000), (m["i32"].Type, m["i32"].Value));
        Assert.Equal((GgufValueType.Float32, (object)0.25f), (m["f32"].Type, m["f32"].Value));
        Assert.Equal((GgufValueType.Bool, (object)true), (m["bool"].Type, m["bool"].Value));
        Assert.Equal((GgufValueType.UInt64, (object)ulong.MaxValue), (m["u64"].Type, m["u64"].Value));
        Assert.Equal((GgufValueType.Int64, (object)long.MinValue), (m["i64"].Type, m["i64"].Value));
        Assert.Equal((GgufValueType.Float64, (object)3.141592653589793), (m["f64"].Type, m["f64"].Value));
        Assert.Equal(["a", "b", "<|endoftext|>"], m.GetArray<string>("tokens"));
        Assert.Equal([1.5f, -2.5f], m.GetArray<float>("scores"));
    }

    [Fact]
    public void SeesWhatHuggingFaceGgufSeesInAFileLoomWrote()
    {
        byte[] bytes = FormatFuzzTests.SampleGgufForReference();
        using var json = JsonDocument.Parse(File.ReadAllBytes(Reference("hf-gguf-parse-of-sample.json")));
        var hf = json.RootElement;
        Assert.True(Convert.ToHexStringLower(SHA256.HashData(bytes)) == hf.GetProperty("sha256").GetString(),
            "GgufWriter's output for the sample changed: regenerate Reference/hf-gguf-parse-of-sample.json (see Reference/README.md)");

        using var file = GgufFile.Read(bytes);
        Assert.Equal(long.Parse(hf.GetProperty("tensorDataOffset").GetString()!, CultureInfo.InvariantCulture), file.DataOffset);
        int compared = 0;
        foreach (var entry in hf.GetProperty("metadata").EnumerateObject())
        {
            if (entry.Name is "version" or "tensor_count" or "kv_count") continue;
            var ours = file.Metadata[entry.Name];
            Assert.Equal(entry.Value.GetProperty("type").GetUInt32(), (uint)ours.Type);
            if (entry.Value.TryGetProperty("subType", out var subType)) Assert.Equal(subType.GetUInt32(), (uint)ours.ElementType);
            AssertSameValue(entry.Value.GetProperty("value"), ours.Value, entry.Name);
            compared++;
        }
        Assert.Equal(file.Metadata.Count, compared);

        var tensors = hf.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Equal(file.Tensors.Count, tensors.Count);
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = file.Tensors[i];
            Assert.Equal(tensors[i].GetProperty("name").GetString(), t.Name);
            Assert.Equal(tensors[i].GetProperty("shape").EnumerateArray().Select(d => long.Parse(d.GetString()!, CultureInfo.InvariantCulture)), t.Dimensions);
            Assert.Equal(tensors[i].GetProperty("dtype").GetUInt32(), (uint)t.Type);
            Assert.Equal(long.Parse(tensors[i].GetProperty("offset").GetString()!, CultureInfo.InvariantCulture), t.Offset);
        }
    }

    /// <summary>The JSON holds 64-bit integers as decimal strings and other numbers as JSON numbers.</summary>
    private static void AssertSameValue(JsonElement hf, object ours, string key)
    {
        if (ours is GgufValue nested) ours = nested.Value;
        switch (hf.ValueKind)
        {
            case JsonValueKind.Array:
                var array = Assert.IsAssignableFrom<Array>(ours);
                Assert.Equal(hf.GetArrayLength(), array.Length);
                int i = 0;
                foreach (var element in hf.EnumerateArray()) AssertSameValue(element, array.GetValue(i++)!, key);
                break;
            case JsonValueKind.String when ours is string s:
                Assert.Equal(hf.GetString(), s);
                break;
            case JsonValueKind.String:
                Assert.Equal(hf.GetString(), Convert.ToString(ours, CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.Number:
                Assert.Equal(hf.GetDouble(), Convert.ToDouble(ours, CultureInfo.InvariantCulture));
                break;
            default:
                Assert.Equal(hf.GetBoolean(), Assert.IsType<bool>(ours));
                break;
        }
    }
}
