using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>
/// Single-row dot products against Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K weight rows, decoding each block in registers
/// 16 values at a time, the same way the vectorised decoders do, and accumulating Σ x·w instead of storing w.
/// One generic loop per format serves both vector widths through a struct accumulator (specialised by the JIT).
/// </summary>
internal static unsafe class GemvBlocks
{
    public static bool Handles(GgmlType type, KernelPath path) =>
        path != KernelPath.Scalar && type is GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <param name="values">values in the row</param>
    public static float Dot(GgmlType type, float* x, byte* row, int values, KernelPath path)
    {
        int blocks = values / 32, superBlocks = values / 256;
        bool wide = path == KernelPath.Avx512;
        return type switch
        {
            GgmlType.Q4_1 => wide ? Legacy<Accumulator512>(x, row, blocks, 20, 2, -1, 4, 0) : Legacy<Accumulator256>(x, row, blocks, 20, 2, -1, 4, 0),
            GgmlType.Q5_0 => wide ? Legacy<Accumulator512>(x, row, blocks, 22, -1, 2, 6, -16) : Legacy<Accumulator256>(x, row, blocks, 22, -1, 2, 6, -16),
            GgmlType.Q5_1 => wide ? Legacy<Accumulator512>(x, row, blocks, 24, 2, 4, 8, 0) : Legacy<Accumulator256>(x, row, blocks, 24, 2, 4, 8, 0),
            _ => KQuant(type, x, row, superBlocks, path),
        };
    }

    private static float KQuant(GgmlType type, float* x, byte* row, int superBlocks, KernelPath path) => (type, path) switch
    {
        (GgmlType.Q6_K, KernelPath.Avx512) => Q6K<Accumulator512>(x, row, superBlocks),
        (GgmlType.Q6_K, _) => Q6K<Accumulator256>(x, row, superBlocks),
        (_, KernelPath.Avx512) => Q45K<Accumulator512>(x, row, superBlocks, type == GgmlType.Q5_K),
        _ => Q45K<Accumulator256>(x, row, superBlocks, type == GgmlType.Q5_K),
    };

    private interface IAccumulator
    {
        /// <summary>Adds Σ ((q + bias)·scale + offset) · x over 16 values.</summary>
        void Add(Vector128<byte> q, int bias, float scale, float offset, float* x);

        float Sum();
    }

    private struct Accumulator512 : IAccumulator
    {
        private Vector512<float> acc;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector128<byte> q, int bias, float scale, float offset, float* x)
        {
            var w = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(q) + Vector512.Create(bias)) * Vector512.Create(scale) + Vector512.Create(offset);
            acc = Avx512F.FusedMultiplyAdd(w, Vector512.Load(x), acc);
        }

        public readonly float Sum() => Vector512.Sum(acc);
    }

    private struct Accumulator256 : IAccumulator
    {
        private Vector256<float> acc;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector128<byte> q, int bias, float scale, float offset, float* x)
        {
            var b = Vector256.Create(bias);
            var s = Vector256.Create(scale);
            var o = Vector256.Create(offset);
            var lo = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q) + b) * s + o;
            var hi = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(q, 8)) + b) * s + o;
            acc = Fma.MultiplyAdd(lo, Vector256.Load(x), Fma.MultiplyAdd(hi, Vector256.Load(x + 8), acc));
        }

        public readonly float Sum() => Vector256.Sum(acc);
    }

    /// <summary>Legacy 32-value blocks: f16 d at 0, optional f16 m, optional 32 high bits, 16 bytes of nibbles
    /// (the layouts in Quantization.Legacy); w = (q + bias)·d + m.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Legacy<T>(float* x, byte* row, int blocks, int blockBytes, int mOffset, int qhOffset, int qsOffset, int bias)
        where T : struct, IAccumulator
    {
        T acc = default, acc2 = default;
        var low = Vector128.Create((byte)15);
        for (int b = 0; b < blocks; b++, row += blockBytes, x += 32)
        {
            float d = Quantization.HalfToSingle(*(ushort*)row);
            float m = mOffset < 0 ? 0 : Quantization.HalfToSingle(*(ushort*)(row + mOffset));
            var qs = Vector128.Load(row + qsOffset);
            var lo = qs & low;
            var hi = Vector128.ShiftRightLogical(qs, 4);
            if (qhOffset >= 0)
            {
                uint qh = *(uint*)(row + qhOffset);
                lo |= Quantization.HighBits(qh, 0);
                hi |= Quantization.HighBits(qh, 16);
            }
            acc.Add(lo, bias, d, m, x);
            acc2.Add(hi, bias, d, m, x + 16);
        }
        return acc.Sum() + acc2.Sum();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q45K<T>(float* x, byte* row, int superBlocks, bool fiveBits) where T : struct, IAccumulator
    {
        // Locals (not a ref parameter) so the accumulators stay in registers; two of them halve the FMA dependency chain.
        T acc = default, acc2 = default;
        int blockBytes = fiveBits ? 176 : 144;
        var low = Vector128.Create((byte)15);
        var one = Vector128.Create((byte)1);
        for (int b = 0; b < superBlocks; b++, row += blockBytes, x += 256)
        {
            float d = Quantization.HalfToSingle(*(ushort*)row), dmin = Quantization.HalfToSingle(*(ushort*)(row + 2));
            byte* scales = row + 4;
            byte* qs = row + (fiveBits ? 48 : 16);
            byte* qh = row + 16;
            for (int c = 0; c < 4; c++)
            {
                (int sc1, int m1) = Quantization.ScaleMinK(new ReadOnlySpan<byte>(scales, 12), 2 * c);
                (int sc2, int m2) = Quantization.ScaleMinK(new ReadOnlySpan<byte>(scales, 12), 2 * c + 1);
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
                    acc.Add(a, 0, d1, -o1, x + 64 * c + half);
                    acc2.Add(h, 0, d2, -o2, x + 64 * c + 32 + half);
                }
            }
        }
        return acc.Sum() + acc2.Sum();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q6K<T>(float* x, byte* row, int superBlocks) where T : struct, IAccumulator
    {
        T acc = default, acc2 = default;
        var low = Vector128.Create((byte)15);
        var three = Vector128.Create((byte)3);
        for (int b = 0; b < superBlocks; b++, row += 210, x += 256)
        {
            sbyte* sc = (sbyte*)(row + 192);
            float d = Quantization.HalfToSingle(*(ushort*)(row + 208));
            for (int h = 0; h < 2; h++)
                for (int l = 0; l < 32; l += 16)
                {
                    var qa = Vector128.Load(row + 64 * h + l);
                    var qb = Vector128.Load(row + 64 * h + 32 + l);
                    var hb = Vector128.Load(row + 128 + 32 * h + l);
                    int e = 128 * h + l;
                    acc.Add((qa & low) | Vector128.ShiftLeft(hb & three, 4), -32, d * sc[e / 16], 0, x + e);
                    acc2.Add((qb & low) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hb, 2) & three, 4), -32, d * sc[(e + 32) / 16], 0, x + e + 32);
                    acc.Add(Vector128.ShiftRightLogical(qa, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hb, 4) & three, 4), -32, d * sc[(e + 64) / 16], 0, x + e + 64);
                    acc2.Add(Vector128.ShiftRightLogical(qb, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hb, 6), 4), -32, d * sc[(e + 96) / 16], 0, x + e + 96);
                }
        }
        return acc.Sum() + acc2.Sum();
    }
}
