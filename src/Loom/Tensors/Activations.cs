using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Loom.Tensors;

/// <summary>Element-wise activations, in place.</summary>
public static class Activations
{
    /// <summary>GELU, exact form: x · Φ(x) = x/2 · erfc(−x/√2), correctly rounded to f32 up to ~1e-15 relative error
    /// (computed in f64; erfc rather than 1 + erf so that the small negative tail keeps its relative accuracy).</summary>
    public static void Gelu(Span<float> x)
    {
        int i = 0;
        if (Kernels.Path != KernelPath.Scalar)
        {
            ref float start = ref MemoryMarshal.GetReference(x);
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                var lo = Vector256.WidenLower(v);
                var hi = Vector256.WidenUpper(v);
                lo = lo * Erfc.Vector(lo * -Erfc.InvSqrt2) * 0.5;
                hi = hi * Erfc.Vector(hi * -Erfc.InvSqrt2) * 0.5;
                Vector256.Narrow(lo, hi).StoreUnsafe(ref start, (nuint)i);
            }
        }
        for (; i < x.Length; i++) x[i] = (float)(0.5 * x[i] * Erfc.Scalar(-x[i] * Erfc.InvSqrt2));
    }

    /// <summary>GELU, tanh approximation (GPT-2): x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).</summary>
    public static void GeluTanh(Span<float> x)
    {
        // x/2 · (1 + tanh(u)) = x · σ(2u): the sigmoid form has no cancellation for negative x.
        const int chunk = 256;
        Span<float> u = stackalloc float[chunk];
        for (int start = 0; start < x.Length; start += chunk)
        {
            var part = x.Slice(start, Math.Min(chunk, x.Length - start));
            var t = u[..part.Length];
            TensorPrimitives.Multiply(part, part, t);
            TensorPrimitives.Multiply(t, 0.044715f, t);
            TensorPrimitives.Add(t, 1f, t);
            TensorPrimitives.Multiply(t, part, t);
            TensorPrimitives.Multiply(t, 2 * 0.7978845608028654f, t); // 2 · √(2/π)
            TensorPrimitives.Sigmoid(t, t);
            TensorPrimitives.Multiply(part, t, part);
        }
    }

    /// <summary>SiLU (swish): x · σ(x).</summary>
    public static void Silu(Span<float> x)
    {
        const int chunk = 256;
        Span<float> s = stackalloc float[chunk];
        for (int start = 0; start < x.Length; start += chunk)
        {
            var part = x.Slice(start, Math.Min(chunk, x.Length - start));
            var t = s[..part.Length];
            TensorPrimitives.Sigmoid(part, t);
            TensorPrimitives.Multiply(part, t, part);
        }
    }

    /// <summary>SwiGLU gate of Llama-style MLPs: gate ← SiLU(gate) · up.</summary>
    public static void SiluMultiply(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (up.Length != gate.Length) throw new ArgumentException("gate and up differ in length", nameof(up));
        Silu(gate);
        TensorPrimitives.Multiply(gate, up, gate);
    }
}
