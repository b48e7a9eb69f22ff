using System.Buffers.Binary;
using Loom.Tensors;

namespace Loom.Tests.Tensors;

[Collection(KernelPathCollection.Name)]
public class QuantizationTests
{
    private static readonly GgmlType[] AllTypes = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1,
        GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K];

    public static TheoryData<KernelPath, GgmlType> PathsAndTypes()
    {
        var data = new TheoryData<KernelPath, GgmlType>();
        foreach (var path in KernelPathCollection.Paths())
            foreach (var type in AllTypes) data.Add(path, type);
        return data;
    }

    /// <summary>Dequantising hand-built blocks (random bits, sane scales) agrees exactly with a decoder written
    /// independently, element by element, from the ggml block definitions.</summary>
    [Theory]
    [MemberData(nameof(PathsAndTypes))]
    public void DecodesHandBuiltBlocksBitForBit(KernelPath path, GgmlType type)
    {
        var rng = new Random(99 + (int)type);
        int blocks = 3, count = blocks * GgmlTypes.BlockSize(type) * (GgmlTypes.BlockSize(type) == 1 ? 37 : 1);
        var bytes = new byte[GgmlTypes.TryByteCount(type, count)];
        rng.NextBytes(bytes);
        int bb = GgmlTypes.BlockBytes(type);
        for (int b = 0; b < bytes.Length / bb; b++)
        {
            var blk = bytes.AsSpan(b * bb, bb);
            switch (type)
            {
                case GgmlType.F32: BinaryPrimitives.WriteSingleLittleEndian(blk, RandomScale(rng) * 100); break;
                case GgmlType.F16: WriteHalf(blk, 0, RandomScale(rng) * 100); break;
                case GgmlType.BF16 when (blk[1] & 0x7f) == 0x7f: blk[1] &= 0xbf; break; // avoid Inf/NaN patterns
                case GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0: WriteHalf(blk, 0, RandomScale(rng)); break;
                case GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K:
                    WriteHalf(blk, 0, RandomScale(rng));
                    WriteHalf(blk, 2, RandomScale(rng));
                    break;
                case GgmlType.Q6_K: WriteHalf(blk, 208, RandomScale(rng)); break;
                case GgmlType.Q8_K: BinaryPrimitives.WriteSingleLittleEndian(blk, RandomScale(rng)); break;
            }
        }
        var actual = new float[count];
        KernelPathCollection.On(path, () => Quantization.Dequantize(type, bytes, actual));
        for (int e = 0; e < count; e++)
            Assert.True(ReferenceDecode(type, bytes, e) == actual[e], $"{type} element {e}: {actual[e]} vs reference {ReferenceDecode(type, bytes, e)}");
    }

    /// <summary>Quantize → dequantize of uniform values in [−1, 1]: the RMS error, relative to the RMS of the values,
    /// stays within the bound of a uniform quantizer with that many levels (step/√12 over a range of 2, with margin for
    /// scale rounding); zero blocks decode to exact zeros.</summary>
    [Theory]
    [InlineData(GgmlType.F32, 0.0)]
    [InlineData(GgmlType.F16, 3e-4)]    // 11-bit significand: ≤ 2^-12 relative per value
    [InlineData(GgmlType.BF16, 2.5e-3)] // 8-bit significand: ≤ 2^-9 relative per value
    [InlineData(GgmlType.Q8_0, 0.005)]  // step 2/254 → 0.0023 / 0.577 = 0.004
    [InlineData(GgmlType.Q8_K, 0.005)]
    [InlineData(GgmlType.Q6_K, 0.02)]   // 64 levels → 0.016
    [InlineData(GgmlType.Q5_0, 0.04)]   // 32 levels → 0.032
    [InlineData(GgmlType.Q5_1, 0.04)]
    [InlineData(GgmlType.Q5_K, 0.045)]
    [InlineData(GgmlType.Q4_0, 0.08)]   // 16 levels → 0.067
    [InlineData(GgmlType.Q4_1, 0.075)]
    [InlineData(GgmlType.Q4_K, 0.085)]
    public void RoundTripErrorIsBounded(GgmlType type, double bound)
    {
        var rng = new Random(5);
        int count = 256 * 16;
        var x = MatMulTests.RandomValues(rng, count);
        x.AsSpan(0, 256).Clear(); // one all-zero (super-)block
        var y = new float[count];
        Quantization.Dequantize(type, Quantization.Quantize(type, x), y);
        double err = 0, norm = 0;
        for (int i = 0; i < count; i++)
        {
            err += (x[i] - (double)y[i]) * (x[i] - (double)y[i]);
            norm += (double)x[i] * x[i];
        }
        double relative = Math.Sqrt(err / norm);
        Assert.True(relative <= bound, $"{type}: relative RMS error {relative:E3} > {bound}");
        Assert.All(y[..256], v => Assert.Equal(0f, v));
    }

    /// <summary>The legacy quantizers round to the nearest level as ggml's reference does: values already on the grid
    /// of a block come back exactly.</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0, 127, 0)]
    [InlineData(GgmlType.Q4_0, 8, 8)]
    [InlineData(GgmlType.Q5_0, 16, 16)]
    public void ValuesOnTheGridRoundTripExactly(GgmlType type, int levels, int offset)
    {
        // A block whose largest-magnitude value is −levels·d (ggml maps it to the extreme level) and the rest on multiples of d.
        float d = 0.25f; // exact in f16
        var x = new float[32];
        var rng = new Random(3);
        for (int i = 0; i < 32; i++) x[i] = (rng.Next(-levels + 1, levels - offset) ) * d;
        x[5] = type == GgmlType.Q8_0 ? levels * d : -levels * d;
        var y = new float[32];
        Quantization.Dequantize(type, Quantization.Quantize(type, x), y);
        Assert.Equal(x, y);
    }

    [Theory]
    [MemberData(nameof(KernelPathCollection.Paths), MemberType = typeof(KernelPathCollection))]
    public void F16DecodesEveryBitPatternAsTheFrameworkDoes(KernelPath path)
    {
        var bytes = new byte[2 * 65536];
        for (int h = 0; h < 65536; h++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * h), (ushort)h);
        var actual = new float[65536];
        KernelPathCollection.On(path, () => Quantization.Dequantize(GgmlType.F16, bytes, actual));
        for (int h = 0; h < 65536; h++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)h);
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual[h]) || float.IsNaN(expected) && float.IsNaN(actual[h]),
                $"0x{h:x4}: {actual[h]} vs {expected}");
        }
    }

    [Fact]
    public void RefusesWrongSizes()
    {
        Assert.Throws<ArgumentException>(() => Quantization.Quantize(GgmlType.Q4_0, new float[33]));
        Assert.Throws<ArgumentException>(() => Quantization.Quantize(GgmlType.Q4_K, new float[256], new byte[143]));
        Assert.Throws<ArgumentException>(() => Quantization.Dequantize(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Throws<NotSupportedException>(() => Quantization.Quantize(GgmlType.Q2_K, new float[256]));
    }

    private static float RandomScale(Random rng) => (float)(Half)((rng.NextDouble() * 2 - 1) * 0.05);

    private static void WriteHalf(Span<byte> b, int offset, float v) =>
        BinaryPrimitives.WriteUInt16LittleEndian(b[offset..], BitConverter.HalfToUInt16Bits((Half)v));

    private static float ReadHalf(ReadOnlySpan<byte> b, int offset) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(b[offset..]));

    private static int Bit(ReadOnlySpan<byte> bits, int index) => (bits[index / 8] >> (index % 8)) & 1;

    /// <summary>Element <paramref name="e"/> of a row, decoded directly from the ggml block definitions.</summary>
    private static float ReferenceDecode(GgmlType type, byte[] data, int e)
    {
        int bs = GgmlTypes.BlockSize(type), bb = GgmlTypes.BlockBytes(type);
        ReadOnlySpan<byte> blk = data.AsSpan(e / bs * bb, bb);
        int i = e % bs;
        int Nibble(ReadOnlySpan<byte> qs, int j) => (qs[j % 16] >> (j < 16 ? 0 : 4)) & 15;
        switch (type)
        {
            case GgmlType.F32: return BinaryPrimitives.ReadSingleLittleEndian(blk);
            case GgmlType.F16: return ReadHalf(blk, 0);
            case GgmlType.BF16: return BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(blk) << 16);
            case GgmlType.Q4_0: return (Nibble(blk[2..], i) - 8) * ReadHalf(blk, 0);
            case GgmlType.Q4_1: return Nibble(blk[4..], i) * ReadHalf(blk, 0) + ReadHalf(blk, 2);
            case GgmlType.Q5_0: return ((Nibble(blk[6..], i) | Bit(blk[2..], i) << 4) - 16) * ReadHalf(blk, 0);
            case GgmlType.Q5_1: return (Nibble(blk[8..], i) | Bit(blk[4..], i) << 4) * ReadHalf(blk, 0) + ReadHalf(blk, 2);
            case GgmlType.Q8_0: return (sbyte)blk[2 + i] * ReadHalf(blk, 0);
            case GgmlType.Q8_K: return BinaryPrimitives.ReadSingleLittleEndian(blk) * (sbyte)blk[4 + i];
            case GgmlType.Q4_K or GgmlType.Q5_K:
            {
                bool five = type == GgmlType.Q5_K;
                int sub = i / 32, w = i % 64;
                var scales = blk.Slice(4, 12);
                var qs = blk.Slice(five ? 48 : 16, 128);
                // 6-bit scale and min of sub-block `sub`: low bits in bytes 0–7 (sub < 4) or nibbles of bytes 8–11 (sub ≥ 4).
                int sc = sub < 4 ? scales[sub] & 63 : (scales[sub + 4] & 15) | (scales[sub - 4] >> 6) << 4;
                int mn = sub < 4 ? scales[sub + 4] & 63 : (scales[sub + 4] >> 4) | (scales[sub] >> 6) << 4;
                int q = (qs[32 * (i / 64) + w % 32] >> (w < 32 ? 0 : 4)) & 15;
                if (five) q |= Bit(blk.Slice(16, 32), (w % 32) * 8 + sub) << 4;
                return ReadHalf(blk, 0) * sc * q - ReadHalf(blk, 2) * mn;
            }
            case GgmlType.Q6_K:
            {
                int h = i / 128, g = i % 128 / 32, l = i % 32;
                int low = (blk[64 * h + l + 32 * (g % 2)] >> (4 * (g / 2))) & 15;
                int high = (blk[128 + 32 * h + l] >> (2 * g)) & 3;
                return ReadHalf(blk, 208) * (sbyte)blk[192 + i / 16] * ((low | high << 4) - 32);
            }
            default: throw new NotSupportedException(type.ToString());
        }
    }
}
