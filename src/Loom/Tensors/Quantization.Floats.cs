using System.Buffers.Binary;
using System.Numerics.Tensors;
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

    /// <summary>f32 → bf16 with round-to-nearest-even; NaN stays a (quiet) NaN.</summary>
    internal static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) return (ushort)((bits >> 16) | 64);
        return (ushort)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
    }

    private static void DequantizeF16(ReadOnlySpan<byte> x, Span<float> y, KernelPath path)
    {
        var halves = MemoryMarshal.Cast<byte, Half>(x);
        if (path == KernelPath.Scalar)
            for (int i = 0; i < y.Length; i++) y[i] = (float)halves[i];
        else
            TensorPrimitives.ConvertToSingle(halves, y);
    }

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
