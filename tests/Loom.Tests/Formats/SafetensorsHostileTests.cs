using Loom.Formats;

namespace Loom.Tests.Formats;

/// <summary>Hand-crafted hostile safetensors files: each must be refused with a <see cref="ModelFormatException"/>.</summary>
public class SafetensorsHostileTests
{
    private static void Refused(byte[] bytes, string problem)
    {
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Read(bytes, "hostile.safetensors"));
        Assert.Contains(problem, e.Problem);
        Assert.StartsWith("hostile.safetensors", e.Message);
    }

    private static void RefusedHeader(string header, int dataBytes, string problem) =>
        Refused(SafetensorsTests.WithHeader(header, dataBytes), problem);

    [Theory]
    [InlineData(ulong.MaxValue, "more than the 100000000 allowed")]
    [InlineData(1UL << 63, "more than the 100000000 allowed")]
    [InlineData(100_000_001UL, "more than the 100000000 allowed")]
    [InlineData(1000UL, "only 2 after the length")]
    public void HugeHeaderLengthsAreRefused(ulong length, string problem) =>
        Refused(new RawBytes().U64(length).Ascii("{}").ToArray(), problem);

    [Fact]
    public void ShortFilesAndNonJsonHeadersAreRefused()
    {
        Refused([1, 2, 3], "8-byte header length");
        Refused(new RawBytes().U64(0).ToArray(), "not a JSON object");
        RefusedHeader("[1,2]", 0, "not a JSON object");
        RefusedHeader("{\"a\": ", 0, "not valid JSON");
        Refused(new RawBytes().U64(6).Ascii("{\"").U8(0xC3).U8(0x28).Ascii("\"}").ToArray(), "not valid UTF-8");
        // Found by the fuzzer: invalid UTF-8 inside a string value, which JsonDocument only notices when the string is read.
        var badValue = new RawBytes().Ascii("{\"a\":{\"dtype\":\"F").U8(0xB2).Ascii("\",\"shape\":[0],\"data_offsets\":[0,0]}}");
        Refused(new RawBytes().U64((ulong)badValue.Length).Add(badValue.ToArray()).ToArray(), "not valid UTF-8");
    }

    [Fact]
    public void OverlappingGappedAndTrailingDataIsRefused()
    {
        RefusedHeader("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "overlaps");
        RefusedHeader("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "overlaps");
        RefusedHeader("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "gap");
        RefusedHeader("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 9, "cover 8 bytes");
        RefusedHeader("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 7, "outside");
        RefusedHeader("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775800,9223372036854775807]}}""", 8, "outside");
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "needs 12 bytes")]
    [InlineData("""{"a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}}""", "needs 8 bytes")]
    [InlineData("""{"a":{"dtype":"F128","shape":[2],"data_offsets":[0,16]}}""", "dtype 'F128'")]
    [InlineData("""{"a":{"dtype":7,"shape":[2],"data_offsets":[0,16]}}""", "dtype is missing")]
    [InlineData("""{"a":{"shape":[2],"data_offsets":[0,16]}}""", "dtype is missing")]
    [InlineData("""{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,16]}}""", "non-negative integers")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,16]}}""", "non-negative integers")]
    [InlineData("""{"a":{"dtype":"U8","shape":["4"],"data_offsets":[0,16]}}""", "non-negative integers")]
    [InlineData("""{"a":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,16]}}""", "overflows 64 bits")]
    [InlineData("""{"a":{"dtype":"I64","shape":[4611686018427387904],"data_offsets":[0,16]}}""", "more than 2^63")]
    [InlineData("""{"a":{"dtype":"U8","shape":[16],"data_offsets":[16,0]}}""", "ordered pair")]
    [InlineData("""{"a":{"dtype":"U8","shape":[16],"data_offsets":["0","16"]}}""", "ordered pair")]
    [InlineData("""{"a":{"dtype":"U8","shape":[16],"data_offsets":[0]}}""", "not a pair")]
    [InlineData("""{"a":{"dtype":"U8","shape":[16],"data_offsets":[0,1e30]}}""", "ordered pair")]
    [InlineData("""{"a":[1]}""", "not an object")]
    [InlineData("""{"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}""", "appears twice")]
    [InlineData("""{"__metadata__":{"k":1},"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}""", "not a string")]
    [InlineData("""{"__metadata__":[],"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}""", "not an object")]
    public void InconsistentEntriesAreRefused(string header, string problem) => RefusedHeader(header, 16, problem);

    [Fact]
    public void DeeplyNestedHeadersAreRefused() =>
        RefusedHeader("{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}", 0, "not valid JSON");
}
