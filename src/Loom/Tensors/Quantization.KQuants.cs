using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace Loom.Tensors;

// The K-quants: 256-value super-blocks split into sub-blocks, each with its own quantized scale (and min).
//   Q4_K: f16 d, f16 dmin, scales[12], qs[128]              x = d·sc·q − dmin·m, 8 sub-blocks of 32, 6-bit sc and m
//   Q5_K: f16 d, f16 dmin, scales[12], qh[32], qs[128]      as Q4_K with a fifth bit per value
//   Q6_K: ql[128], qh[64], int8 scales[16], f16 d           x = d·sc·(q − 32), 16 sub-blocks of 16
//   Q8_K: f32 d, int8 qs[256], int16 bsums[16]              x = d·q (bsums: sums of 16 q's, for dot products)
// Q4_K/Q5_K: within each 64-value chunk c, byte l of qs[32c..] holds value 64c+l (low nibble) and 64c+32+l (high);
// Q5_K's qh[l] bit 2c is the fifth bit of value 64c+l, bit 2c+1 that of value 64c+32+l.
// Q6_K: within each 128-value half h, ql[64h+l] holds values l (low) and l+64 (high), ql[64h+32+l] values l+32, l+96;
// qh[32h+l] holds the top two bits of values l, l+32, l+64, l+96 in bit pairs 0, 2, 4, 6.
public static partial class Quantization
{
    private const int SuperBlock = 256;

    private static void QuantizeQ4_K(ReadOnlySpan<float> x, Span<byte> y) => QuantizeQ45_K(x, y, fiveBits: false);

    private static void QuantizeQ5_K(ReadOnlySpan<float> x, Span<byte> y) => QuantizeQ45_K(x, y, fiveBits: true);

    private static void QuantizeQ45_K(ReadOnlySpan<float> x, Span<byte> y, bool fiveBits)
    {
        int blockBytes = fiveBits ? 176 : 144, levels = fiveBits ? 31 : 15;
        Span<float> scale = stackalloc float[8], min = stackalloc float[8];
        Span<byte> ls = stackalloc byte[8], lm = stackalloc byte[8], q = stackalloc byte[SuperBlock];
        for (int b = 0; b < x.Length / SuperBlock; b++)
        {
            var v = x.Slice(b * SuperBlock, SuperBlock);
            var o = y.Slice(b * blockBytes, blockBytes);
            o.Clear();
            // Each sub-block of 32 maps [min(0, lo), hi] onto 0..levels; mins are stored as positive offsets.
            for (int s = 0; s < 8; s++)
            {
                (float lo, float hi) = MinMax(v.Slice(32 * s, 32));
                lo = Math.Min(lo, 0);
                scale[s] = (hi - lo) / levels;
                min[s] = -lo;
            }
            float d = Max(scale) / 63, dmin = Max(min) / 63;
            WriteHalf(o, 0, d);
            WriteHalf(o, 2, dmin);
            d = Half(o, 0);
            dmin = Half(o, 2);
            for (int s = 0; s < 8; s++)
            {
                ls[s] = (byte)(d > 0 ? Math.Clamp((int)MathF.Round(scale[s] / d), 0, 63) : 0);
                lm[s] = (byte)(dmin > 0 ? Math.Clamp((int)MathF.Round(min[s] / dmin), 0, 63) : 0);
                float sd = d * ls[s], sm = dmin * lm[s];
                for (int j = 0; j < 32; j++)
                    q[32 * s + j] = (byte)(sd > 0 ? Math.Clamp((int)MathF.Round((v[32 * s + j] + sm) / sd), 0, levels) : 0);
            }
            PackScalesK(ls, lm, o.Slice(4, 12));
            var qs = o.Slice(fiveBits ? 48 : 16, 128);
            var qh = fiveBits ? o.Slice(16, 32) : default;
            for (int c = 0; c < 4; c++)
                for (int l = 0; l < 32; l++)
                {
                    int a = q[64 * c + l], h = q[64 * c + 32 + l];
                    qs[32 * c + l] = (byte)((a & 15) | (h & 15) << 4);
                    if (fiveBits) qh[l] |= (byte)((a >> 4) << (2 * c) | (h >> 4) << (2 * c + 1));
                }
        }
    }

    private static float Max(ReadOnlySpan<float> v)
    {
        float m = 0;
        foreach (float f in v) m = Math.Max(m, f);
        return m;
    }

    /// <summary>Packs eight 6-bit scales and mins into 12 bytes: sub-blocks 0–3 in the low 6 bits of bytes 0–3 / 4–7,
    /// sub-blocks 4–7 as nibbles in bytes 8–11 with their top two bits in the high bits of bytes 0–7.</summary>
    private static void PackScalesK(ReadOnlySpan<byte> ls, ReadOnlySpan<byte> lm, Span<byte> s)
    {
        for (int j = 0; j < 4; j++)
        {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        }
        for (int j = 4; j < 8; j++)
        {
            s[j + 4] = (byte)((ls[j] & 15) | (lm[j] & 15) << 4);
            s[j - 4] |= (byte)((ls[j] >> 4) << 6);
            s[j] |= (byte)((lm[j] >> 4) << 6);
        }
    }

    /// <summary>The 6-bit scale and min of sub-block j of a Q4_K / Q5_K super-block, from its 12 packed bytes.</summary>
    internal static (int Scale, int Min) ScaleMinK(ReadOnlySpan<byte> s, int j) => j < 4
        ? (s[j] & 63, s[j + 4] & 63)
        : ((s[j + 4] & 15) | (s[j - 4] >> 6) << 4, (s[j + 4] >> 4) | (s[j] >> 6) << 4);

    private static void DequantizeQ4_K(ReadOnlySpan<byte> x, Span<float> y) => DequantizeQ45_K(x, y, fiveBits: false);

    private static void DequantizeQ5_K(ReadOnlySpan<byte> x, Span<float> y) => DequantizeQ45_K(x, y, fiveBits: true);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DequantizeQ45_K(ReadOnlySpan<byte> x, Span<float> y, bool fiveBits)
    {
        int blockBytes = fiveBits ? 176 : 144;
        for (int b = 0; b < y.Length / SuperBlock; b++)
        {
            var blk = x.Slice(b * blockBytes, blockBytes);
            var o = y.Slice(b * SuperBlock, SuperBlock);
            float d = Half(blk, 0), dmin = Half(blk, 2);
            var scales = blk.Slice(4, 12);
            var qs = blk.Slice(fiveBits ? 48 : 16, 128);
            var qh = fiveBits ? blk.Slice(16, 32) : default;
            for (int c = 0; c < 4; c++)
            {
                (int sc1, int m1) = ScaleMinK(scales, 2 * c);
                (int sc2, int m2) = ScaleMinK(scales, 2 * c + 1);
                float d1 = d * sc1, o1 = dmin * m1, d2 = d * sc2, o2 = dmin * m2;
                for (int l = 0; l < 32; l++)
                {
                    int a = qs[32 * c + l] & 15, h = qs[32 * c + l] >> 4;
                    if (fiveBits)
                    {
                        a |= ((qh[l] >> (2 * c)) & 1) << 4;
                        h |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
                    }
                    o[64 * c + l] = d1 * a - o1;
                    o[64 * c + 32 + l] = d2 * h - o2;
                }
            }
        }
    }

    private static void QuantizeQ6_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<float> scale = stackalloc float[16];
        Span<sbyte> q = stackalloc sbyte[SuperBlock];
        for (int b = 0; b < x.Length / SuperBlock; b++)
        {
            var v = x.Slice(b * SuperBlock, SuperBlock);
            var o = y.Slice(b * 210, 210);
            o.Clear();
            // Each sub-block of 16 maps its largest-magnitude value to −32; the 16 scales share one f16 d and int8 steps.
            float maxScale = 0, signedMaxScale = 0;
            for (int s = 0; s < 16; s++)
            {
                scale[s] = SignedAbsMax(v.Slice(16 * s, 16)) / -32;
                if (Math.Abs(scale[s]) > maxScale) { maxScale = Math.Abs(scale[s]); signedMaxScale = scale[s]; }
            }
            float d = signedMaxScale / -128;
            WriteHalf(o, 208, d);
            d = Half(o, 208);
            for (int s = 0; s < 16; s++)
            {
                int sc = d != 0 ? Math.Clamp((int)MathF.Round(scale[s] / d), -128, 127) : 0;
                o[192 + s] = (byte)(sbyte)sc;
                float sd = d * sc;
                for (int j = 0; j < 16; j++)
                    q[16 * s + j] = (sbyte)(sd != 0 ? Math.Clamp((int)MathF.Round(v[16 * s + j] / sd), -32, 31) : 0);
            }
            var ql = o[..128];
            var qh = o.Slice(128, 64);
            for (int h = 0; h < 2; h++)
                for (int l = 0; l < 32; l++)
                {
                    int q0 = q[128 * h + l] + 32, q1 = q[128 * h + l + 32] + 32, q2 = q[128 * h + l + 64] + 32, q3 = q[128 * h + l + 96] + 32;
                    ql[64 * h + l] = (byte)((q0 & 15) | (q2 & 15) << 4);
                    ql[64 * h + 32 + l] = (byte)((q1 & 15) | (q3 & 15) << 4);
                    qh[32 * h + l] = (byte)((q0 >> 4) | (q1 >> 4) << 2 | (q2 >> 4) << 4 | (q3 >> 4) << 6);
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DequantizeQ6_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        for (int b = 0; b < y.Length / SuperBlock; b++)
        {
            var blk = x.Slice(b * 210, 210);
            var o = y.Slice(b * SuperBlock, SuperBlock);
            var ql = blk[..128];
            var qh = blk.Slice(128, 64);
            var sc = blk.Slice(192, 16);
            float d = Half(blk, 208);
            for (int h = 0; h < 2; h++)
                for (int l = 0; l < 32; l++)
                {
                    int hb = qh[32 * h + l];
                    int q0 = ((ql[64 * h + l] & 15) | (hb & 3) << 4) - 32;
                    int q1 = ((ql[64 * h + 32 + l] & 15) | ((hb >> 2) & 3) << 4) - 32;
                    int q2 = ((ql[64 * h + l] >> 4) | ((hb >> 4) & 3) << 4) - 32;
                    int q3 = ((ql[64 * h + 32 + l] >> 4) | ((hb >> 6) & 3) << 4) - 32;
                    int e = 128 * h + l;
                    o[e] = d * (sbyte)sc[e / 16] * q0;
                    o[e + 32] = d * (sbyte)sc[(e + 32) / 16] * q1;
                    o[e + 64] = d * (sbyte)sc[(e + 64) / 16] * q2;
                    o[e + 96] = d * (sbyte)sc[(e + 96) / 16] * q3;
                }
        }
    }

    private static void QuantizeQ8_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int b = 0; b < x.Length / SuperBlock; b++)
        {
            var v = x.Slice(b * SuperBlock, SuperBlock);
            var o = y.Slice(b * 292, 292);
            o.Clear();
            float max = SignedAbsMax(v);
            if (max == 0) continue;
            float iscale = -127f / max;
            for (int j = 0; j < SuperBlock; j++)
                o[4 + j] = (byte)(sbyte)Math.Min(127, (int)MathF.Round(iscale * v[j], MidpointRounding.ToEven));
            for (int g = 0; g < 16; g++)
            {
                int sum = 0;
                for (int j = 0; j < 16; j++) sum += (sbyte)o[4 + 16 * g + j];
                BinaryPrimitives.WriteInt16LittleEndian(o[(260 + 2 * g)..], (short)sum);
            }
            BinaryPrimitives.WriteSingleLittleEndian(o, 1 / iscale);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DequantizeQ8_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        for (int b = 0; b < y.Length / SuperBlock; b++)
        {
            var blk = x.Slice(b * 292, 292);
            float d = BinaryPrimitives.ReadSingleLittleEndian(blk);
            for (int j = 0; j < SuperBlock; j++) y[b * SuperBlock + j] = d * (sbyte)blk[4 + j];
        }
    }
}
