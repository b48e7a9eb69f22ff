using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

// Vectorised decoders (AVX2 / AVX-512) for the block types whose scalar decoders live beside their quantizers.
// Each block's quants are assembled 16 at a time as bytes (nibbles, plus high bits gathered from qh), then widened to
// f32. The arithmetic is the scalar decoders' own — (q + bias)·scale + offset, in that order — so results are identical.
public static partial class Quantization
{
    private static bool DequantizeVectorised(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination, KernelPath path)
    {
        if (path == KernelPath.Scalar) return false;
        switch (type)
        {
            case GgmlType.Q4_1: Legacy(source, destination, path, 20, dOffset: 0, mOffset: 2, qhOffset: -1, qsOffset: 4, bias: 0); return true;
            case GgmlType.Q5_0: Legacy(source, destination, path, 22, dOffset: 0, mOffset: -1, qhOffset: 2, qsOffset: 6, bias: -16); return true;
            case GgmlType.Q5_1: Legacy(source, destination, path, 24, dOffset: 0, mOffset: 2, qhOffset: 4, qsOffset: 8, bias: 0); return true;
            case GgmlType.Q4_K: Q45K(source, destination, path, fiveBits: false); return true;
            case GgmlType.Q5_K: Q45K(source, destination, path, fiveBits: true); return true;
            case GgmlType.Q6_K: Q6K(source, destination, path); return true;
            case GgmlType.Q8_K: Q8K(source, destination, path); return true;
            default: return false;
        }
    }

    /// <summary>dst[0..16) = (q + bias) · scale + offset for 16 unsigned byte quants.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Expand(Vector128<byte> q, int bias, float scale, float offset, float* dst, KernelPath path)
    {
        if (path == KernelPath.Avx512)
        {
            var v = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(q) + Vector512.Create(bias));
            (v * Vector512.Create(scale) + Vector512.Create(offset)).Store(dst);
        }
        else
        {
            var s = Vector256.Create(scale);
            var o = Vector256.Create(offset);
            var b = Vector256.Create(bias);
            (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q) + b) * s + o).Store(dst);
            (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(q, 8)) + b) * s + o).Store(dst + 8);
        }
    }

    /// <summary>16 bytes holding 16 (0 or 16): bit <c>first + j</c> of the little-endian <paramref name="qh"/> for lane j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> HighBits(uint qh, int first)
    {
        var bytes = Vector128.Create(qh >> first).AsByte();
        var spread = Vector128.Shuffle(bytes, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        var bit = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector128.Equals(spread & bit, bit) & Vector128.Create((byte)16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Legacy(ReadOnlySpan<byte> x, Span<float> y, KernelPath path, int blockBytes,
        int dOffset, int mOffset, int qhOffset, int qsOffset, int bias)
    {
        fixed (byte* src = x)
        fixed (float* dst = y)
        {
            var low = Vector128.Create((byte)15);
            for (int b = 0; b < y.Length / 32; b++)
            {
                byte* blk = src + b * blockBytes;
                float* o = dst + b * 32;
                float d = HalfToSingle(*(ushort*)(blk + dOffset));
                float m = mOffset < 0 ? 0 : HalfToSingle(*(ushort*)(blk + mOffset));
                var qs = Vector128.Load(blk + qsOffset);
                var lo = qs & low;
                var hi = Vector128.ShiftRightLogical(qs, 4);
                if (qhOffset >= 0)
                {
                    uint qh = *(uint*)(blk + qhOffset);
                    lo |= HighBits(qh, 0);
                    hi |= HighBits(qh, 16);
                }
                Expand(lo, bias, d, m, o, path);
                Expand(hi, bias, d, m, o + 16, path);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Q45K(ReadOnlySpan<byte> x, Span<float> y, KernelPath path, bool fiveBits)
    {
        int blockBytes = fiveBits ? 176 : 144;
        fixed (byte* src = x)
        fixed (float* dst = y)
        {
            var low = Vector128.Create((byte)15);
            var one = Vector128.Create((byte)1);
            for (int b = 0; b < y.Length / SuperBlock; b++)
            {
                byte* blk = src + b * blockBytes;
                float* o = dst + b * SuperBlock;
                float d = HalfToSingle(*(ushort*)blk), dmin = HalfToSingle(*(ushort*)(blk + 2));
                var scales = new ReadOnlySpan<byte>(blk + 4, 12);
                byte* qs = blk + (fiveBits ? 48 : 16);
                byte* qh = blk + 16;
                for (int c = 0; c < 4; c++)
                {
                    (int sc1, int m1) = ScaleMinK(scales, 2 * c);
                    (int sc2, int m2) = ScaleMinK(scales, 2 * c + 1);
                    float d1 = d * sc1, o1 = dmin * m1, d2 = d * sc2, o2 = dmin * m2;
                    for (int half = 0; half < 32; half += 16)
                    {
                        var q = Vector128.Load(qs + 32 * c + half);
                        var a = q & low;
                        var h = Vector128.ShiftRightLogical(q, 4);
                        if (fiveBits)
                        {
                            var bits = Vector128.Load(qh + half);
                            a |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(bits, 2 * c) & one, 4);
                            h |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(bits, 2 * c + 1) & one, 4);
                        }
                        Expand(a, 0, d1, -o1, o + 64 * c + half, path);
                        Expand(h, 0, d2, -o2, o + 64 * c + 32 + half, path);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Q6K(ReadOnlySpan<byte> x, Span<float> y, KernelPath path)
    {
        fixed (byte* src = x)
        fixed (float* dst = y)
        {
            var low = Vector128.Create((byte)15);
            var three = Vector128.Create((byte)3);
            for (int b = 0; b < y.Length / SuperBlock; b++)
            {
                byte* blk = src + b * 210;
                float* o = dst + b * SuperBlock;
                sbyte* sc = (sbyte*)(blk + 192);
                float d = HalfToSingle(*(ushort*)(blk + 208));
                for (int h = 0; h < 2; h++)
                    for (int l = 0; l < 32; l += 16)
                    {
                        var qa = Vector128.Load(blk + 64 * h + l);
                        var qb = Vector128.Load(blk + 64 * h + 32 + l);
                        var hb = Vector128.Load(blk + 128 + 32 * h + l);
                        int e = 128 * h + l;
                        Expand((qa & low) | Vector128.ShiftLeft(hb & three, 4), -32, d * sc[e / 16], 0, o + e, path);
                        Expand((qb & low) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hb, 2) & three, 4), -32, d * sc[(e + 32) / 16], 0, o + e + 32, path);
                        Expand(Vector128.ShiftRightLogical(qa, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hb, 4) & three, 4), -32, d * sc[(e + 64) / 16], 0, o + e + 64, path);
                        Expand(Vector128.ShiftRightLogical(qb, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hb, 6), 4), -32, d * sc[(e + 96) / 16], 0, o + e + 96, path);
                    }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Q8K(ReadOnlySpan<byte> x, Span<float> y, KernelPath path)
    {
        fixed (byte* src = x)
        fixed (float* dst = y)
        {
            for (int b = 0; b < y.Length / SuperBlock; b++)
            {
                byte* blk = src + b * 292;
                sbyte* qs = (sbyte*)(blk + 4);
                float* o = dst + b * SuperBlock;
                float d = *(float*)blk;
                for (int j = 0; j < SuperBlock; j += 16)
                    if (path == KernelPath.Avx512)
                        (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(qs + j))) * d).Store(o + j);
                    else
                    {
                        (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(qs + j)) * d).Store(o + j);
                        (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(qs + j + 8)) * d).Store(o + j + 8);
                    }
            }
        }
    }
}
