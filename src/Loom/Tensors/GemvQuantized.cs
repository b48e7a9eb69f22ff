using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>
/// Dot products of one f32 row with an F16, BF16, Q8_0 or Q4_0 weight row, decoding each 32 values in registers
/// (no round trip through memory): the matrix-vector product of token-by-token decoding.
/// </summary>
internal static unsafe class GemvQuantized
{
    public static bool Handles(GgmlType type, KernelPath path) =>
        path != KernelPath.Scalar && type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.F16 or GgmlType.BF16;

    /// <param name="blocks">blocks of 32 values in the row</param>
    public static float Dot(GgmlType type, float* x, byte* row, int blocks, KernelPath path) => (type, path) switch
    {
        (GgmlType.F16, KernelPath.Avx512) => DotF16Avx512(x, (ushort*)row, blocks),
        (GgmlType.F16, _) => DotF16Avx2(x, (ushort*)row, blocks),
        (GgmlType.BF16, KernelPath.Avx512) => DotBF16Avx512(x, (ushort*)row, blocks),
        (GgmlType.BF16, _) => DotBF16Avx2(x, (ushort*)row, blocks),
        (GgmlType.Q8_0, KernelPath.Avx512) => DotQ8_0Avx512(x, row, blocks),
        (GgmlType.Q8_0, _) => DotQ8_0Avx2(x, row, blocks),
        (GgmlType.Q4_0, KernelPath.Avx512) => DotQ4_0Avx512(x, row, blocks),
        _ => DotQ4_0Avx2(x, row, blocks),
    };

    /// <summary>
    /// An F16 row known to hold no Inf or NaN (<see cref="WeightMatrix.HalvesAreFinite"/>), converted the short way:
    /// sign-extend, shift, mask — three operations instead of nine — which gives each finite f16 value times 2⁻¹¹²
    /// exactly; the sum is scaled back once. (Products that small stay exact inside the FMA; a partial sum below 2⁻¹⁴
    /// keeps an absolute accuracy of 2⁻³⁷, finer than f32's relative rounding there.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotFiniteF16Avx512(float* x, ushort* row, int blocks)
    {
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        short* h = (short*)row;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, h += 64, x += 64)
        {
            acc0 = Avx512F.FusedMultiplyAdd(ScaledHalves(Vector256.Load(h)), Vector512.Load(x), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(ScaledHalves(Vector256.Load(h + 16)), Vector512.Load(x + 16), acc1);
            acc2 = Avx512F.FusedMultiplyAdd(ScaledHalves(Vector256.Load(h + 32)), Vector512.Load(x + 32), acc2);
            acc3 = Avx512F.FusedMultiplyAdd(ScaledHalves(Vector256.Load(h + 48)), Vector512.Load(x + 48), acc3);
        }
        if (b < blocks)
        {
            acc0 = Avx512F.FusedMultiplyAdd(ScaledHalves(Vector256.Load(h)), Vector512.Load(x), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(ScaledHalves(Vector256.Load(h + 16)), Vector512.Load(x + 16), acc1);
        }
        return Vector512.Sum((acc0 + acc2) + (acc1 + acc3)) * 5.192296858534828e33f; // 2¹¹²
    }

    /// <summary>16 finite f16 values × 2⁻¹¹² as f32: the f16 exponent and mantissa land in the f32 fields unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ScaledHalves(Vector256<short> h) =>
        (Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(h), 13) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotF16Avx512(float* x, ushort* row, int blocks)
    {
        Vector512<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++, row += 32, x += 32)
        {
            acc0 = Avx512F.FusedMultiplyAdd(Quantization.HalfToSingle(Vector256.Load(row)), Vector512.Load(x), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Quantization.HalfToSingle(Vector256.Load(row + 16)), Vector512.Load(x + 16), acc1);
        }
        return Vector512.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotF16Avx2(float* x, ushort* row, int blocks)
    {
        Vector256<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++, row += 32, x += 32)
        {
            acc0 = Fma.MultiplyAdd(Quantization.HalfToSingle(Vector128.Load(row)), Vector256.Load(x), acc0);
            acc1 = Fma.MultiplyAdd(Quantization.HalfToSingle(Vector128.Load(row + 8)), Vector256.Load(x + 8), acc1);
            acc0 = Fma.MultiplyAdd(Quantization.HalfToSingle(Vector128.Load(row + 16)), Vector256.Load(x + 16), acc0);
            acc1 = Fma.MultiplyAdd(Quantization.HalfToSingle(Vector128.Load(row + 24)), Vector256.Load(x + 24), acc1);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotBF16Avx512(float* x, ushort* row, int blocks)
    {
        Vector512<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++, row += 32, x += 32)
        {
            var w0 = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(row)), 16).AsSingle();
            var w1 = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(row + 16)), 16).AsSingle();
            acc0 = Avx512F.FusedMultiplyAdd(w0, Vector512.Load(x), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(w1, Vector512.Load(x + 16), acc1);
        }
        return Vector512.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotBF16Avx2(float* x, ushort* row, int blocks)
    {
        Vector256<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++, row += 32, x += 32)
            for (int i = 0; i < 32; i += 16)
            {
                var w0 = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load(row + i)).AsUInt32(), 16).AsSingle();
                var w1 = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load(row + i + 8)).AsUInt32(), 16).AsSingle();
                acc0 = Fma.MultiplyAdd(w0, Vector256.Load(x + i), acc0);
                acc1 = Fma.MultiplyAdd(w1, Vector256.Load(x + i + 8), acc1);
            }
        return Vector256.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ8_0Avx512(float* x, byte* row, int blocks)
    {
        Vector512<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++, row += 34, x += 32)
        {
            var q0 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)row + 2)));
            var q1 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)row + 18)));
            var d = Vector512.Create(Quantization.HalfToSingle(*(ushort*)row));
            acc0 = Avx512F.FusedMultiplyAdd(q0 * d, Vector512.Load(x), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(q1 * d, Vector512.Load(x + 16), acc1);
        }
        return Vector512.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ8_0Avx2(float* x, byte* row, int blocks)
    {
        Vector256<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++, row += 34, x += 32)
        {
            sbyte* qs = (sbyte*)row + 2;
            var d = Vector256.Create(Quantization.HalfToSingle(*(ushort*)row));
            var s = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(qs)), Vector256.Load(x),
                Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(qs + 8)) * Vector256.Load(x + 8));
            var t = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(qs + 16)), Vector256.Load(x + 16),
                Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(qs + 24)) * Vector256.Load(x + 24));
            acc0 = Fma.MultiplyAdd(s, d, acc0);
            acc1 = Fma.MultiplyAdd(t, d, acc1);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ4_0Avx512(float* x, byte* row, int blocks)
    {
        Vector512<float> acc0 = default, acc1 = default;
        var eight = Vector512.Create(8f);
        var mask = Vector128.Create((byte)15);
        for (int b = 0; b < blocks; b++, row += 18, x += 32)
        {
            var qs = Vector128.Load(row + 2);
            var lo = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(qs & mask)) - eight;
            var hi = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.ShiftRightLogical(qs, 4))) - eight;
            var d = Vector512.Create(Quantization.HalfToSingle(*(ushort*)row));
            acc0 = Avx512F.FusedMultiplyAdd(lo * d, Vector512.Load(x), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(hi * d, Vector512.Load(x + 16), acc1);
        }
        return Vector512.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ4_0Avx2(float* x, byte* row, int blocks)
    {
        Vector256<float> acc0 = default, acc1 = default;
        var eight = Vector256.Create(8f);
        var mask = Vector128.Create((byte)15);
        for (int b = 0; b < blocks; b++, row += 18, x += 32)
        {
            var qs = Vector128.Load(row + 2);
            var lo = qs & mask;
            var hi = Vector128.ShiftRightLogical(qs, 4);
            var d = Vector256.Create(Quantization.HalfToSingle(*(ushort*)row));
            var s = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(lo)) - eight, Vector256.Load(x),
                (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(lo, 8))) - eight) * Vector256.Load(x + 8));
            var t = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(hi)) - eight, Vector256.Load(x + 16),
                (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(hi, 8))) - eight) * Vector256.Load(x + 24));
            acc0 = Fma.MultiplyAdd(s, d, acc0);
            acc1 = Fma.MultiplyAdd(t, d, acc1);
        }
        return Vector256.Sum(acc0 + acc1);
    }
}
