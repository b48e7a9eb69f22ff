using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>
/// MatMul for a single row of x (token-by-token decoding): threads take contiguous ranges of weight rows, so W streams
/// through memory once. F32 rows are read in place; F16, BF16, Q8_0, Q4_0 (<see cref="GemvQuantized"/>) and Q4_1, Q5_0,
/// Q5_1, Q4_K, Q5_K, Q6_K (<see cref="GemvBlocks"/>) rows are decoded in registers inside the dot product; Q8_K rows
/// (and rows whose length is not a multiple of 32) are decoded a row at a time into a per-thread buffer.
/// </summary>
internal static unsafe class Gemv
{
    public static void Run(float* x, WeightMatrix w, byte* wp, float* y, int threads, KernelPath path)
    {
        int n = w.Rows, k = w.Cols, rowBytes = w.RowBytes;
        var type = w.Type;
        int tasks = Math.Min(n, threads * 4);
        int perTask = (n + tasks - 1) / tasks;
        bool fused = k % 32 == 0 && GemvQuantized.Handles(type, path);
        bool fusedBlocks = GemvBlocks.Handles(type, path);
        bool finiteHalves = fused && type == GgmlType.F16 && path == KernelPath.Avx512 && w.HalvesAreFinite;
        nint xa = (nint)x, ya = (nint)y, wa = (nint)wp;
        MatMul.For(tasks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t) =>
        {
            float* xs = (float*)xa, ys = (float*)ya;
            byte* ws = (byte*)wa;
            float* row = type == GgmlType.F32 || fused || fusedBlocks ? null : MatMul.Scratch(k);
            int end = Math.Min(n, (t + 1) * perTask);
            for (int j = t * perTask; j < end; j++)
            {
                byte* r = ws + (long)j * rowBytes;
                if (finiteHalves)
                {
                    ys[j] = GemvQuantized.DotFiniteF16Avx512(xs, (ushort*)r, k / 32);
                    continue;
                }
                if (fused)
                {
                    ys[j] = GemvQuantized.Dot(type, xs, r, k / 32, path);
                    continue;
                }
                if (fusedBlocks)
                {
                    ys[j] = GemvBlocks.Dot(type, xs, r, k, path);
                    continue;
                }
                if (type != GgmlType.F32)
                {
                    Quantization.DequantizeBlocks(type, new ReadOnlySpan<byte>(r, rowBytes), new Span<float>(row, k), path);
                    r = (byte*)row;
                }
                ys[j] = Dot(xs, (float*)r, k, path);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int k, KernelPath path)
    {
        int i = 0;
        float sum = 0;
        if (path == KernelPath.Avx512)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 64 <= k; i += 64)
            {
                s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
                s1 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), s1);
                s2 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i + 32), Vector512.Load(b + i + 32), s2);
                s3 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i + 48), Vector512.Load(b + i + 48), s3);
            }
            for (; i + 16 <= k; i += 16) s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
            sum = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (path == KernelPath.Avx2)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 32 <= k; i += 32)
            {
                s0 = Fma.MultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                s1 = Fma.MultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
                s2 = Fma.MultiplyAdd(Vector256.Load(a + i + 16), Vector256.Load(b + i + 16), s2);
                s3 = Fma.MultiplyAdd(Vector256.Load(a + i + 24), Vector256.Load(b + i + 24), s3);
            }
            for (; i + 8 <= k; i += 8) s0 = Fma.MultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
            sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        }
        for (; i < k; i++) sum += a[i] * b[i];
        return sum;
    }
}
