using Loom.Formats;
using Loom.Tensors;

namespace Loom.Tests.Formats;

/// <summary>Hand-crafted GGUF files of the known hostile classes: each must be refused with a
/// <see cref="ModelFormatException"/> naming the problem (and the offset where it is one place).</summary>
public class GgufHostileTests
{
    private static RawBytes Header(ulong tensors, ulong kvs, uint version = 3) =>
        new RawBytes().Ascii("GGUF").U32(version).U64(tensors).U64(kvs);

    private static ModelFormatException Refused(byte[] bytes, string problem)
    {
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Read(bytes, "hostile.gguf"));
        Assert.Contains(problem, e.Problem);
        Assert.StartsWith("hostile.gguf", e.Message);
        return e;
    }

    /// <summary>One tensor info for a 1-D f32 tensor, then padding and its data when <paramref name="withData"/>.</summary>
    private static byte[] OneTensor(string name, uint rank, ulong[] dims, uint type, ulong offset, int dataBytes = 64, RawBytes? start = null)
    {
        var b = (start ?? Header(1, 0)).Str(name).U32(rank);
        foreach (ulong d in dims) b.U64(d);
        b.U32(type).U64(offset).PadTo(32);
        return b.Add(new byte[dataBytes]).ToArray();
    }

    [Theory]
    [InlineData("GGML")]
    [InlineData("gguf")]
    [InlineData("\0\0\0\0")]
    public void WrongMagicIsRefused(string magic) =>
        Assert.Equal(0, Refused(new RawBytes().Ascii(magic).U32(3).U64(0).U64(0).ToArray(), "not a GGUF file").Offset);

    [Theory]
    [InlineData(1u, "version 1 is not supported")]
    [InlineData(0x03000000u, "big-endian")]
    [InlineData(4u, "unknown GGUF version 4")]
    [InlineData(0u, "unknown GGUF version 0")]
    public void UnsupportedVersionsAreRefused(uint version, string problem) =>
        Assert.Equal(4, Refused(Header(0, 0, version).ToArray(), problem).Offset);

    [Fact]
    public void EveryTruncationOfAValidFileIsRefused()
    {
        byte[] valid = GgufTests.HandAssembled(3);
        using (GgufFile.Read(valid)) { }
        for (int length = 0; length < valid.Length; length++)
            Assert.Throws<ModelFormatException>(() => GgufFile.Read(valid[..length]));
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    [InlineData((1UL << 63) - 1)]
    [InlineData(1000UL)]
    public void StringLengthsBeyondTheFileAreRefused(ulong length)
    {
        // A key whose length prefix claims far more than the file holds.
        var key = Header(0, 1).U64(length).Ascii("general.name").U32(8).Str("x").ToArray();
        Assert.Equal(24, Refused(key, "claims").Offset);
        // A string value likewise.
        var value = Header(0, 1).Str("general.name").U32(8).U64(length).Ascii("x").ToArray();
        Refused(value, "claims");
    }

    [Theory]
    [InlineData(10u, ulong.MaxValue)]     // u64 elements: count × 8 overflows 64 bits
    [InlineData(10u, (1UL << 61) + 1)]    // u64 elements: count × 8 wraps to a small number
    [InlineData(8u, 1UL << 62)]           // strings
    [InlineData(9u, (1UL << 63) - 1)]     // nested arrays
    [InlineData(0u, (1UL << 63) - 1)]     // bytes
    public void ArrayLengthsNear2To63AreRefused(uint elementType, ulong count)
    {
        var bytes = Header(0, 1).Str("a").U32(9).U32(elementType).U64(count).Add(new byte[64]).ToArray();
        Refused(bytes, "claims");
    }

    [Fact]
    public void ArrayWithElementsNarrowerThanDeclaredIsRefused()
    {
        // Declared u64 elements, but the bytes that follow hold 16 one-byte values.
        var bytes = Header(0, 1).Str("a").U32(9).U32(10).U64(16).Add(new byte[16]).ToArray();
        Refused(bytes, "claims 16 elements of 8 bytes");
    }

    [Theory]
    [InlineData(13u)]
    [InlineData(0xFFFFFFFFu)]
    public void UnknownValueTypesAreRefused(uint type)
    {
        Refused(Header(0, 1).Str("a").U32(type).U64(0).ToArray(), "not a GGUF value type");
        Refused(Header(0, 1).Str("a").U32(9).U32(type).U64(0).ToArray(), "not a GGUF value type");
    }

    [Fact]
    public void BoolsOtherThanZeroOrOneAreRefused()
    {
        Refused(Header(0, 1).Str("a").U32(7).U8(2).ToArray(), "not a bool");
        Refused(Header(0, 1).Str("a").U32(9).U32(7).U64(3).U8(1).U8(0).U8(255).ToArray(), "not a bool");
    }

    [Fact]
    public void DeeplyNestedArraysAreRefusedWithoutExhaustingTheStack()
    {
        var b = Header(0, 1).Str("a").U32(9);
        for (int i = 0; i < 100_000; i++) b.U32(9).U64(1);
        b.U32(0).U64(0);
        Refused(b.ToArray(), "nests arrays");
    }

    [Fact]
    public void InvalidUtf8AndDuplicateKeysAreRefused()
    {
        Refused(Header(0, 1).U64(2).U8(0xC3).U8(0x28).U32(4).U32(1).ToArray(), "not valid UTF-8");
        Refused(Header(0, 2).Str("a").U32(4).U32(1).Str("a").U32(4).U32(2).ToArray(), "appears twice");
        Refused(Header(0, 1).Str("").U32(4).U32(1).ToArray(), "empty");
    }

    [Theory]
    [InlineData(1UL << 60, 0UL)]
    [InlineData(0UL, 1UL << 60)]
    [InlineData(ulong.MaxValue, ulong.MaxValue)]
    public void CountsFarBeyondTheFileSizeAreRefused(ulong tensors, ulong kvs) =>
        Refused(Header(tensors, kvs).Add(new byte[100]).ToArray(), "cannot fit");

    [Fact]
    public void TensorDimensionsWhoseProductOverflowsAreRefused()
    {
        Refused(OneTensor("t", 3, [1UL << 32, 1UL << 32, 1UL << 32], 0, 0), "more elements than 64 bits");
        Refused(OneTensor("t", 2, [1UL << 62, 2], 0, 0), "more elements than 64 bits");
        // The element count fits but the byte count does not.
        Refused(OneTensor("t", 1, [1UL << 62], 0, 0), "overflows 64 bits");
        Refused(OneTensor("t", 1, [ulong.MaxValue], 0, 0), "must be positive");
        Refused(OneTensor("t", 2, [4, 0], 0, 0), "must be positive");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(5u)]
    [InlineData(0xFFFFFFFFu)]
    public void TensorRanksOutsideOneToFourAreRefused(uint rank) =>
        Refused(OneTensor("t", rank, rank == 5 ? [1, 1, 1, 1, 1] : [], 0, 0), "dimensions (1 to 4 allowed)");

    [Theory]
    [InlineData(4u)]       // removed Q4_2
    [InlineData(16u)]      // IQ2_XXS: not in GgmlType
    [InlineData(1000u)]
    public void UnknownTensorTypesAreRefused(uint type) =>
        Refused(OneTensor("t", 1, [16], type, 0), $"type id {type}");

    [Fact]
    public void PartialQuantBlocksAreRefused() =>
        Refused(OneTensor("t", 1, [33], (uint)GgmlType.Q8_0, 0), "not a whole number of Q8_0 blocks");

    [Theory]
    [InlineData(4UL, "not a multiple of the alignment")]
    [InlineData(1UL << 40, "outside the file")]
    [InlineData(ulong.MaxValue - 31, "outside the file")]
    [InlineData(32UL, "outside the file")]  // aligned, but the 64 bytes of data would run past the end
    public void MisalignedAndOutOfFileOffsetsAreRefused(ulong offset, string problem) =>
        Refused(OneTensor("t", 1, [16], 0, offset), problem);

    [Fact]
    public void OverlappingTensorsAreRefused()
    {
        var b = Header(2, 0).Str("a").U32(1).U64(16).U32(0).U64(0).Str("b").U32(1).U64(16).U32(0).U64(32).PadTo(32);
        Refused(b.Add(new byte[128]).ToArray(), "overlap");
        var same = Header(2, 0).Str("a").U32(1).U64(8).U32(0).U64(0).Str("b").U32(1).U64(8).U32(0).U64(0).PadTo(32);
        Refused(same.Add(new byte[64]).ToArray(), "overlap");
        Refused(OneTensor("", 1, [16], 0, 0), "tensor name is empty");
        var twice = Header(2, 0).Str("a").U32(1).U64(8).U32(0).U64(0).Str("a").U32(1).U64(8).U32(0).U64(32).PadTo(32);
        Refused(twice.Add(new byte[64]).ToArray(), "appears twice");
    }

    [Theory]
    [InlineData(48u)]
    [InlineData(0u)]
    public void AlignmentsThatAreNotPowersOfTwoAreRefused(uint alignment) =>
        Refused(OneTensor("t", 1, [16], 0, 0, start: Header(1, 1).Str("general.alignment").U32(4).U32(alignment)), "power of two");

    [Fact]
    public void AlignmentOfTheWrongTypeIsRefused() =>
        Refused(Header(0, 1).Str("general.alignment").U32(10).U64(32).ToArray(), "must be a u32");

    [Fact]
    public void CustomAlignmentIsHonoured()
    {
        // general.alignment = 64: data starts at the next multiple of 64 and offsets must be multiples of 64.
        var b = Header(1, 1).Str("general.alignment").U32(4).U32(64).Str("t").U32(1).U64(4).U32(0).U64(0).PadTo(64);
        b.F32(1).F32(2).F32(3).F32(4);
        using var file = GgufFile.Read(b.ToArray());
        Assert.Equal(64u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.Equal(2f, BitConverter.ToSingle(file.GetData("t").Span[4..]));
        var misaligned = Header(1, 1).Str("general.alignment").U32(4).U32(64).Str("t").U32(1).U64(4).U32(0).U64(32).PadTo(64);
        Refused(misaligned.Add(new byte[128]).ToArray(), "alignment 64");
    }

    [Fact]
    public void EmptyAndMissingFilesAreRefused()
    {
        string empty = Path.GetTempFileName();
        try
        {
            Assert.Contains("needs 24 bytes", Assert.Throws<ModelFormatException>(() => GgufFile.Open(empty)).Message);
        }
        finally
        {
            File.Delete(empty);
        }
        Assert.Contains("cannot open", Assert.Throws<ModelFormatException>(() => GgufFile.Open("/nonexistent/model.gguf")).Message);
    }
}
