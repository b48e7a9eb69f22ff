using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

// The legacy 32-value blocks. In the 4- and 5-bit types, byte j of qs holds value j in its low nibble and value j+16
// in its high nibble; in the 5-bit types, bit j of the little-endian uint32 qh is the fifth bit of value j.
//   Q4_0: f16 d, qs[16]            x = (q − 8)·d
//   Q4_1: f16 d, f16 m, qs[16]     x = q·d + m
//   Q5_0: f16 d, qh[4], qs[16]     x = (q − 16)·d
//   Q5_1: f16 d, f16 m, qh[4], qs[16]  x = q·d + m
//   Q8_0: f16 d, int8 qs[32]       x = q·d
public static partial class Quantization
{
    private static void QuantizeQ4_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int b = 0; b < x.Length / 32; b++)
        {
            var v = x.Slice(b * 32, 32);
            var o = y.Slice(b * 18, 18);
            float d = SignedAbsMax(v) / -8;
            float id = d != 0 ? 1 / d : 0;
            WriteHalf(o, 0, d);
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(15, (int)(sbyte)(v[j] * id + 8.5f));
                int q1 = Math.Min(15, (int)(sbyte)(v[j + 16] * id + 8.5f));
                o[2 + j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    private static void QuantizeQ4_1(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int b = 0; b < x.Length / 32; b++)
        {
            var v = x.Slice(b * 32, 32);
            var o = y.Slice(b * 20, 20);
            (float min, float max) = MinMax(v);
            float d = (max - min) / 15;
            float id = d != 0 ? 1 / d : 0;
            WriteHalf(o, 0, d);
            WriteHalf(o, 2, min);
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(15, (int)(byte)((v[j] - min) * id + 0.5f));
                int q1 = Math.Min(15, (int)(byte)((v[j + 16] - min) * id + 0.5f));
                o[4 + j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    private static void QuantizeQ5_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int b = 0; b < x.Length / 32; b++)
        {
            var v = x.Slice(b * 32, 32);
            var o = y.Slice(b * 22, 22);
            float d = SignedAbsMax(v) / -16;
            float id = d != 0 ? 1 / d : 0;
            WriteHalf(o, 0, d);
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(31, (int)(sbyte)(v[j] * id + 16.5f));
                int q1 = Math.Min(31, (int)(sbyte)(v[j + 16] * id + 16.5f));
                o[6 + j] = (byte)((q0 & 15) | ((q1 & 15) << 4));
                qh |= (uint)(q0 >> 4) << j | (uint)(q1 >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(o[2..], qh);
        }
    }

    private static void QuantizeQ5_1(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int b = 0; b < x.Length / 32; b++)
        {
            var v = x.Slice(b * 32, 32);
            var o = y.Slice(b * 24, 24);
            (float min, float max) = MinMax(v);
            float d = (max - min) / 31;
            float id = d != 0 ? 1 / d : 0;
            WriteHalf(o, 0, d);
            WriteHalf(o, 2, min);
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(31, (int)(byte)((v[j] - min) * id + 0.5f));
                int q1 = Math.Min(31, (int)(byte)((v[j + 16] - min) * id + 0.5f));
                o[8 + j] = (byte)((q0 & 15) | ((q1 & 15) << 4));
                qh |= (uint)(q0 >> 4) << j | (uint)(q1 >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(o[4..], qh);
        }
    }

    private static void QuantizeQ8_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int b = 0; b < x.Length / 32; b++)
        {
            var v = x.Slice(b * 32, 32);
            var o = y.Slice(b * 34, 34);
            float amax = 0;
            foreach (float f in v) amax = Math.Max(amax, Math.Abs(f));
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            WriteHalf(o, 0, d);
            for (int j = 0; j < 32; j++) o[2 + j] = (byte)(sbyte)MathF.Round(v[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>The value of largest magnitude, with its sign (ggml scales by it so that it maps to the most negative level).</summary>
    private static float SignedAbsMax(ReadOnlySpan<float> v)
    {
        float amax = 0, max = 0;
        foreach (float f in v)
            if (Math.Abs(f) > amax) { amax = Math.Abs(f); max = f; }
        return max;
    }

    private static (float Min, float Max) MinMax(ReadOnlySpan<float> v)
    {
        float min = float.MaxValue, max = float.MinValue;
        foreach (float f in v) { min = Math.Min(min, f); max = Math.Max(max, f); }
        return (min, max);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DequantizeQ4_0(ReadOnlySpan<byte> x, Span<float> y, KernelPath path)
    {
        fixed (byte* src = x)
        fixed (float* dst = y)
        {
            int blocks = y.Length / 32;
            for (int b = 0; b < blocks; b++)
            {
                byte* blk = src + b * 18;
                float* o = dst + b * 32;
                float d = Quantization.HalfToSingle(*(ushort*)blk);
                var qs = Vector128.Load(blk + 2);
                var lo = qs & Vector128.Create((byte)15);
                var hi = Vector128.ShiftRightLogical(qs, 4);
                if (path == KernelPath.Avx512)
                {
                    var dv = Vector512.Create(d);
                    var eight = Vector512.Create(8f);
                    ((Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(lo)) - eight) * dv).Store(o);
                    ((Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(hi)) - eight) * dv).Store(o + 16);
                }
                else if (path == KernelPath.Avx2)
                {
                    var dv = Vector256.Create(d);
                    var eight = Vector256.Create(8f);
                    ((Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(lo)) - eight) * dv).Store(o);
                    ((Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(lo, 8))) - eight) * dv).Store(o + 8);
                    ((Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(hi)) - eight) * dv).Store(o + 16);
                    ((Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(hi, 8))) - eight) * dv).Store(o + 24);
                }
                else
                {
                    for (int j = 0; j < 16; j++)
                    {
                        o[j] = ((blk[2 + j] & 15) - 8) * d;
                        o[j + 16] = ((blk[2 + j] >> 4) - 8) * d;
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DequantizeQ4_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        for (int b = 0; b < y.Length / 32; b++)
        {
            var blk = x.Slice(b * 20, 20);
            var o = y.Slice(b * 32, 32);
            float d = Half(blk, 0), m = Half(blk, 2);
            for (int j = 0; j < 16; j++)
            {
                o[j] = (blk[4 + j] & 15) * d + m;
                o[j + 16] = (blk[4 + j] >> 4) * d + m;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DequantizeQ5_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        for (int b = 0; b < y.Length / 32; b++)
        {
            var blk = x.Slice(b * 22, 22);
            var o = y.Slice(b * 32, 32);
            float d = Half(blk, 0);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(blk[2..]);
            for (int j = 0; j < 16; j++)
            {
                int q0 = (blk[6 + j] & 15) | (int)((qh >> j) & 1) << 4;
                int q1 = (blk[6 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
                o[j] = (q0 - 16) * d;
                o[j + 16] = (q1 - 16) * d;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DequantizeQ5_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        for (int b = 0; b < y.Length / 32; b++)
        {
            var blk = x.Slice(b * 24, 24);
            var o = y.Slice(b * 32, 32);
            float d = Half(blk, 0), m = Half(blk, 2);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(blk[4..]);
            for (int j = 0; j < 16; j++)
            {
                int q0 = (blk[8 + j] & 15) | (int)((qh >> j) & 1) << 4;
                int q1 = (blk[8 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
                o[j] = q0 * d + m;
                o[j + 16] = q1 * d + m;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DequantizeQ8_0(ReadOnlySpan<byte> x, Span<float> y, KernelPath path)
    {
        fixed (byte* src = x)
        fixed (float* dst = y)
        {
            int blocks = y.Length / 32;
            for (int b = 0; b < blocks; b++)
            {
                byte* blk = src + b * 34;
                sbyte* qs = (sbyte*)(blk + 2);
                float* o = dst + b * 32;
                float d = Quantization.HalfToSingle(*(ushort*)blk);
                if (path == KernelPath.Avx512)
                {
                    var dv = Vector512.Create(d);
                    (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(qs))) * dv).Store(o);
                    (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(qs + 16))) * dv).Store(o + 16);
                }
                else if (path == KernelPath.Avx2)
                {
                    var dv = Vector256.Create(d);
                    for (int j = 0; j < 32; j += 8)
                        (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(qs + j)) * dv).Store(o + j);
                }
                else
                {
                    for (int j = 0; j < 32; j++) o[j] = qs[j] * d;
                }
            }
        }
    }
}
