using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

// F16 and BF16: 16-bit floats, little-endian.
public static partial class Quantization
{
    private static void QuantizeF16(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int i = 0; i < x.Length; i++) WriteHalf(y, 2 * i, x[i]); // IEEE round-to-nearest-even, as ggml's F16C path
    }

    private static void QuantizeBF16(ReadOnlySpan<float> x, Span<byte> y)
    {
        for (int i = 0; i < x.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(y[(2 * i)..], ToBFloat16(x[i]));
    }

    /// <summary>f16 bits → f32, inlined (the framework's Half conversion is a call, which spills a kernel's vector registers).
    /// Shifting sign-less f16 bits into f32 position and scaling by 2^112 rebias normals and subnormals alike;
    /// Inf and NaN get the all-ones exponent back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HalfToSingle(ushort h)
    {
        uint magnitude = h & 0x7fffu;
        uint bits = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(magnitude << 13) * 5.192296858534828e33f);
        if (magnitude >= 0x7c00) bits |= 0x7f800000;
        return BitConverter.UInt32BitsToSingle(bits | (uint)(h & 0x8000) << 16);
    }

    /// <summary>f32 → bf16 with round-to-nearest-even; NaN stays a (quiet) NaN.</summary>
    internal static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) return (ushort)((bits >> 16) | 64);
        return (ushort)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DequantizeF16(ReadOnlySpan<byte> x, Span<float> y, KernelPath path)
    {
        fixed (byte* src = x)
        fixed (float* dst = y)
        {
            var s = (ushort*)src;
            int i = 0, n = y.Length;
            if (path == KernelPath.Avx512)
                for (; i + 16 <= n; i += 16) HalfToSingle(Vector256.Load(s + i)).Store(dst + i);
            else if (path == KernelPath.Avx2)
                for (; i + 8 <= n; i += 8) HalfToSingle(Vector128.Load(s + i)).Store(dst + i);
            for (; i < n; i++) dst[i] = HalfToSingle(s[i]);
        }
    }

    /// <summary>True when no f16 value in <paramref name="bytes"/> has the all-ones exponent of Inf and NaN.</summary>
    internal static bool HalvesAreFinite(ReadOnlySpan<byte> bytes)
    {
        var halves = MemoryMarshal.Cast<byte, ushort>(bytes);
        var exponent = Vector256.Create((ushort)0x7c00);
        int i = 0;
        for (; i + 64 <= halves.Length; i += 64)
        {
            var h = MemoryMarshal.Cast<ushort, Vector256<ushort>>(halves.Slice(i, 64));
            // The largest exponent field of 64 values: 0x7c00 only if one of them is Inf or NaN.
            var top = Vector256.Max(Vector256.Max(h[0] & exponent, h[1] & exponent), Vector256.Max(h[2] & exponent, h[3] & exponent));
            if (Vector256.EqualsAny(top, exponent)) return false;
        }
        for (; i < halves.Length; i++)
            if ((halves[i] & 0x7c00) == 0x7c00) return false;
        return true;
    }

    /// <summary>16 f16 values → f32, as <see cref="HalfToSingle(ushort)"/> does one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> HalfToSingle(Vector256<ushort> h)
    {
        var bits = Avx512F.ConvertToVector512UInt32(h);
        var magnitude = bits & Vector512.Create(0x7fffu);
        var scaled = (Vector512.ShiftLeft(magnitude, 13).AsSingle() * Vector512.Create(5.192296858534828e33f)).AsUInt32();
        var special = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x7c00u)) & Vector512.Create(0x7f800000u);
        return (scaled | special | Vector512.ShiftLeft(bits & Vector512.Create(0x8000u), 16)).AsSingle();
    }

    /// <summary>8 f16 values → f32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector128<ushort> h)
    {
        var bits = Avx2.ConvertToVector256Int32(h).AsUInt32();
        var magnitude = bits & Vector256.Create(0x7fffu);
        var scaled = (Vector256.ShiftLeft(magnitude, 13).AsSingle() * Vector256.Create(5.192296858534828e33f)).AsUInt32();
        var special = Vector256.GreaterThanOrEqual(magnitude.AsInt32(), Vector256.Create(0x7c00)).AsUInt32() & Vector256.Create(0x7f800000u);
        return (scaled | special | Vector256.ShiftLeft(bits & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DequantizeBF16(ReadOnlySpan<byte> x, Span<float> y, KernelPath path)
    {
        fixed (byte* src = x)
        fixed (float* dst = y)
        {
            var s = (ushort*)src;
            var d = (uint*)dst;
            int i = 0, n = y.Length;
            if (path == KernelPath.Avx512)
                for (; i + 16 <= n; i += 16)
                    Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(s + i)), 16).Store(d + i);
            else if (path == KernelPath.Avx2)
                for (; i + 8 <= n; i += 8)
                    Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load(s + i)).AsUInt32(), 16).Store(d + i);
            for (; i < n; i++) d[i] = (uint)s[i] << 16;
        }
    }
}
