using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>
/// Register-blocked GEMM (the Goto/BLIS scheme, with x read in place as MLAS does): each thread takes a range of output
/// columns and, for each slice of KC along k, gets its weight rows as panels of NR columns, k-major — f32 weights from
/// <see cref="PackedWeights"/>, packed once per matrix and kept; other types decoded per call into the thread's scratch
/// (this is where quantized blocks are dequantised — KC is a multiple of every block size). A micro-kernel then
/// accumulates an MR × NR tile of y in registers (12 × 32 on AVX-512, 6 × 16 on AVX2, 4 × 4 scalar), broadcasting
/// x straight from its rows, and adds the bias after the last slice.
/// Each output is one FMA chain per KC slice, the slices added in order, then the bias, whatever its tile, the thread
/// count, the other rows or whether the weights came packed: a row's result does not depend on the batch it is in.
/// </summary>
internal static unsafe class Gemm
{
    internal const int KC = 256;
    private const int MaxPanelsPerTask = 8;

    private static (int MR, int NR) Tile(KernelPath path) => path switch
    {
        KernelPath.Avx512 => (12, 32),
        KernelPath.Avx2 => (6, 16),
        _ => (4, 4),
    };

    /// <param name="bias">n values added to every row, or null</param>
    public static void Run(float* x, int m, WeightMatrix w, byte* wp, float* bias, float* y, int threads, KernelPath path)
    {
        int n = w.Rows, k = w.Cols;
        (int mr, int nr) = Tile(path);
        int nPanels = (n + nr - 1) / nr;
        var packed = w.Type == GgmlType.F32 && (long)nPanels * nr * k <= Array.MaxLength ? w.Packed(nr) : null;
        // Two tasks per thread (slack for a thread that falls behind), more if a task would exceed MaxPanelsPerTask,
        // and a multiple of the thread count, so that no thread is left with a task more than the others.
        int tasks = 2 * threads;
        while ((nPanels + tasks - 1) / tasks > MaxPanelsPerTask) tasks += threads;
        int panelsPerTask = (nPanels + tasks - 1) / tasks;
        tasks = (nPanels + panelsPerTask - 1) / panelsPerTask;
        int blockSize = GgmlTypes.BlockSize(w.Type), blockBytes = GgmlTypes.BlockBytes(w.Type);
        nint xa = (nint)x, ya = (nint)y, wa = (nint)wp, ba = (nint)bias;
        MatMul.For(tasks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t) =>
        {
            float* c = (float*)ya, bias = (float*)ba;
            byte* ws = (byte*)wa;
            int j0 = t * panelsPerTask * nr, j1 = Math.Min(n, j0 + panelsPerTask * nr);
            int decodedLength = packed is null ? panelsPerTask * nr * KC + nr * KC : 0;
            float* b = MatMul.Scratch(decodedLength + mr * KC);
            float* decoded = b + panelsPerTask * nr * KC;
            float* edge = b + decodedLength;
            for (int k0 = 0; k0 < k; k0 += KC)
            {
                int kc = Math.Min(KC, k - k0);
                bool last = k0 + kc == k;
                if (packed is null)
                {
                    long byteOffset = (long)k0 / blockSize * blockBytes, bytes = (long)kc / blockSize * blockBytes;
                    for (int js = j0; js < j1; js += nr)
                    {
                        // Decode the panel's weight rows side by side, then transpose them into k-major order.
                        for (int jj = 0; jj < nr; jj++)
                        {
                            var dst = new Span<float>(decoded + jj * kc, kc);
                            if (js + jj < j1)
                                Quantization.DequantizeBlocks(w.Type, new ReadOnlySpan<byte>(ws + (long)(js + jj) * w.RowBytes + byteOffset, (int)bytes), dst, path);
                            else dst.Clear();
                        }
                        Transpose(decoded, nr, kc, b + (js - j0) * KC, path);
                    }
                }
                for (int i0 = 0; i0 < m; i0 += mr)
                {
                    int rows = Math.Min(mr, m - i0);
                    float* a = (float*)xa + (long)i0 * k + k0;
                    nint lda = k;
                    if (rows < mr)
                    {
                        // The last rows, zero-padded to a whole tile, so the kernel never reads past x.
                        for (int r = 0; r < mr; r++)
                        {
                            var dst = new Span<float>(edge + r * kc, kc);
                            if (r < rows) new ReadOnlySpan<float>(a + r * lda, kc).CopyTo(dst);
                            else dst.Clear();
                        }
                        a = edge;
                        lda = kc;
                    }
                    for (int js = j0; js < j1; js += nr)
                    {
                        float* cp = c + (long)i0 * n + js;
                        int cols = Math.Min(nr, j1 - js);
                        float* bp = packed is null ? b + (js - j0) * KC : packed.Panel(k0, js);
                        float* bs = last && bias != null ? bias + js : null;
                        switch (path)
                        {
                            case KernelPath.Avx512: Kernel512(a, lda, bp, kc, cp, n, rows, cols, k0 > 0, bs); break;
                            case KernelPath.Avx2: Kernel256(a, lda, bp, kc, cp, n, rows, cols, k0 > 0, bs); break;
                            default: KernelScalar(a, lda, bp, kc, cp, n, rows, cols, k0 > 0, bs); break;
                        }
                    }
                }
            }
        });
    }

    /// <summary>dst[p · rowCount + r] = src[r · cols + p]: 8 × 8 tiles in registers on the AVX paths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* src, int rowCount, int cols, float* dst, KernelPath path)
    {
        int p0 = 0;
        if (path != KernelPath.Scalar)
            for (; p0 + 8 <= cols; p0 += 8)
                for (int r0 = 0; r0 < rowCount; r0 += 8)
                {
                    float* s = src + r0 * cols + p0;
                    var t0 = Avx.UnpackLow(Vector256.Load(s), Vector256.Load(s + cols));
                    var t1 = Avx.UnpackHigh(Vector256.Load(s), Vector256.Load(s + cols));
                    var t2 = Avx.UnpackLow(Vector256.Load(s + 2 * cols), Vector256.Load(s + 3 * cols));
                    var t3 = Avx.UnpackHigh(Vector256.Load(s + 2 * cols), Vector256.Load(s + 3 * cols));
                    var t4 = Avx.UnpackLow(Vector256.Load(s + 4 * cols), Vector256.Load(s + 5 * cols));
                    var t5 = Avx.UnpackHigh(Vector256.Load(s + 4 * cols), Vector256.Load(s + 5 * cols));
                    var t6 = Avx.UnpackLow(Vector256.Load(s + 6 * cols), Vector256.Load(s + 7 * cols));
                    var t7 = Avx.UnpackHigh(Vector256.Load(s + 6 * cols), Vector256.Load(s + 7 * cols));
                    var u0 = Avx.Shuffle(t0, t2, 0x44);
                    var u1 = Avx.Shuffle(t0, t2, 0xEE);
                    var u2 = Avx.Shuffle(t1, t3, 0x44);
                    var u3 = Avx.Shuffle(t1, t3, 0xEE);
                    var u4 = Avx.Shuffle(t4, t6, 0x44);
                    var u5 = Avx.Shuffle(t4, t6, 0xEE);
                    var u6 = Avx.Shuffle(t5, t7, 0x44);
                    var u7 = Avx.Shuffle(t5, t7, 0xEE);
                    float* d = dst + p0 * rowCount + r0;
                    Avx.Permute2x128(u0, u4, 0x20).Store(d);
                    Avx.Permute2x128(u1, u5, 0x20).Store(d + rowCount);
                    Avx.Permute2x128(u2, u6, 0x20).Store(d + 2 * rowCount);
                    Avx.Permute2x128(u3, u7, 0x20).Store(d + 3 * rowCount);
                    Avx.Permute2x128(u0, u4, 0x31).Store(d + 4 * rowCount);
                    Avx.Permute2x128(u1, u5, 0x31).Store(d + 5 * rowCount);
                    Avx.Permute2x128(u2, u6, 0x31).Store(d + 6 * rowCount);
                    Avx.Permute2x128(u3, u7, 0x31).Store(d + 7 * rowCount);
                }
        for (int p = p0; p < cols; p++)
            for (int r = 0; r < rowCount; r++) dst[p * rowCount + r] = src[r * cols + p];
    }

    // Stores a tile row: (tile + what the earlier slices left) + bias, in that order whatever the tile.
    private static void Put(Vector512<float> v, float* dst, bool add, float* bias, int column)
    {
        if (add) v += Vector512.Load(dst);
        if (bias != null) v += Vector512.Load(bias + column);
        v.Store(dst);
    }

    private static void Put(Vector256<float> v, float* dst, bool add, float* bias, int column)
    {
        if (add) v += Vector256.Load(dst);
        if (bias != null) v += Vector256.Load(bias + column);
        v.Store(dst);
    }

    /// <summary>Writes the valid part of an edge tile.</summary>
    private static void Scatter(float* t, int ldt, int rows, int cols, float* c, int ldc, bool accumulate, float* bias)
    {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
            {
                float v = accumulate ? c[(long)r * ldc + j] + t[r * ldt + j] : t[r * ldt + j];
                c[(long)r * ldc + j] = bias != null ? v + bias[j] : v;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelScalar(float* a, nint lda, float* b, int kc, float* c, int ldc, int rows, int cols, bool accumulate, float* bias)
    {
        float* t = stackalloc float[16];
        for (int i = 0; i < 16; i++) t[i] = 0;
        for (int p = 0; p < kc; p++)
        {
            for (int r = 0; r < 4; r++)
                for (int j = 0; j < 4; j++)
                    t[r * 4 + j] += a[r * lda] * b[j];
            a++;
            b += 4;
        }
        Scatter(t, 4, rows, cols, c, ldc, accumulate, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(float* a, nint lda, float* b, int kc, float* c, int ldc, int rows, int cols, bool accumulate, float* bias)
    {
        // Row 4q + s is read at (row 4q) + s·lda: three moving pointers and scaled-index addressing, no spills.
        float* r4 = a + 4 * lda, r8 = a + 8 * lda;
        nint l2 = 2 * lda, l3 = 3 * lda;
        Vector512<float> c0_0 = default, c0_1 = default;
        Vector512<float> c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default;
        Vector512<float> c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default;
        Vector512<float> c7_0 = default, c7_1 = default;
        Vector512<float> c8_0 = default, c8_1 = default;
        Vector512<float> c9_0 = default, c9_1 = default;
        Vector512<float> c10_0 = default, c10_1 = default;
        Vector512<float> c11_0 = default, c11_1 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[lda]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[l2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[l3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(r4[0]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(r4[lda]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(r4[l2]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(r4[l3]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            var a8 = Vector512.Create(r8[0]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            var a9 = Vector512.Create(r8[lda]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            var a10 = Vector512.Create(r8[l2]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0);
            c10_1 = Avx512F.FusedMultiplyAdd(a10, b1, c10_1);
            var a11 = Vector512.Create(r8[l3]);
            c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0);
            c11_1 = Avx512F.FusedMultiplyAdd(a11, b1, c11_1);
            a++;
            r4++;
            r8++;
            b += 32;
        }
        bool full = rows == 12 && cols == 32;
        float* t = stackalloc float[full ? 0 : 384];
        float* o = full ? c : t;
        int ld = full ? ldc : 32;
        bool add = full && accumulate;
        float* pb = full ? bias : null;
        Put(c0_0, o + 0 * ld + 0, add, pb, 0);
        Put(c0_1, o + 0 * ld + 16, add, pb, 16);
        Put(c1_0, o + 1 * ld + 0, add, pb, 0);
        Put(c1_1, o + 1 * ld + 16, add, pb, 16);
        Put(c2_0, o + 2 * ld + 0, add, pb, 0);
        Put(c2_1, o + 2 * ld + 16, add, pb, 16);
        Put(c3_0, o + 3 * ld + 0, add, pb, 0);
        Put(c3_1, o + 3 * ld + 16, add, pb, 16);
        Put(c4_0, o + 4 * ld + 0, add, pb, 0);
        Put(c4_1, o + 4 * ld + 16, add, pb, 16);
        Put(c5_0, o + 5 * ld + 0, add, pb, 0);
        Put(c5_1, o + 5 * ld + 16, add, pb, 16);
        Put(c6_0, o + 6 * ld + 0, add, pb, 0);
        Put(c6_1, o + 6 * ld + 16, add, pb, 16);
        Put(c7_0, o + 7 * ld + 0, add, pb, 0);
        Put(c7_1, o + 7 * ld + 16, add, pb, 16);
        Put(c8_0, o + 8 * ld + 0, add, pb, 0);
        Put(c8_1, o + 8 * ld + 16, add, pb, 16);
        Put(c9_0, o + 9 * ld + 0, add, pb, 0);
        Put(c9_1, o + 9 * ld + 16, add, pb, 16);
        Put(c10_0, o + 10 * ld + 0, add, pb, 0);
        Put(c10_1, o + 10 * ld + 16, add, pb, 16);
        Put(c11_0, o + 11 * ld + 0, add, pb, 0);
        Put(c11_1, o + 11 * ld + 16, add, pb, 16);
        if (!full) Scatter(t, 32, rows, cols, c, ldc, accumulate, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(float* a, nint lda, float* b, int kc, float* c, int ldc, int rows, int cols, bool accumulate, float* bias)
    {
        float* r3 = a + 3 * lda;
        nint l2 = 2 * lda;
        Vector256<float> c0_0 = default, c0_1 = default;
        Vector256<float> c1_0 = default, c1_1 = default;
        Vector256<float> c2_0 = default, c2_1 = default;
        Vector256<float> c3_0 = default, c3_1 = default;
        Vector256<float> c4_0 = default, c4_1 = default;
        Vector256<float> c5_0 = default, c5_1 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c0_0 = Fma.MultiplyAdd(a0, b0, c0_0);
            c0_1 = Fma.MultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(a[lda]);
            c1_0 = Fma.MultiplyAdd(a1, b0, c1_0);
            c1_1 = Fma.MultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(a[l2]);
            c2_0 = Fma.MultiplyAdd(a2, b0, c2_0);
            c2_1 = Fma.MultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(r3[0]);
            c3_0 = Fma.MultiplyAdd(a3, b0, c3_0);
            c3_1 = Fma.MultiplyAdd(a3, b1, c3_1);
            var a4 = Vector256.Create(r3[lda]);
            c4_0 = Fma.MultiplyAdd(a4, b0, c4_0);
            c4_1 = Fma.MultiplyAdd(a4, b1, c4_1);
            var a5 = Vector256.Create(r3[l2]);
            c5_0 = Fma.MultiplyAdd(a5, b0, c5_0);
            c5_1 = Fma.MultiplyAdd(a5, b1, c5_1);
            a++;
            r3++;
            b += 16;
        }
        bool full = rows == 6 && cols == 16;
        float* t = stackalloc float[full ? 0 : 96];
        float* o = full ? c : t;
        int ld = full ? ldc : 16;
        bool add = full && accumulate;
        float* pb = full ? bias : null;
        Put(c0_0, o + 0 * ld + 0, add, pb, 0);
        Put(c0_1, o + 0 * ld + 8, add, pb, 8);
        Put(c1_0, o + 1 * ld + 0, add, pb, 0);
        Put(c1_1, o + 1 * ld + 8, add, pb, 8);
        Put(c2_0, o + 2 * ld + 0, add, pb, 0);
        Put(c2_1, o + 2 * ld + 8, add, pb, 8);
        Put(c3_0, o + 3 * ld + 0, add, pb, 0);
        Put(c3_1, o + 3 * ld + 8, add, pb, 8);
        Put(c4_0, o + 4 * ld + 0, add, pb, 0);
        Put(c4_1, o + 4 * ld + 8, add, pb, 8);
        Put(c5_0, o + 5 * ld + 0, add, pb, 0);
        Put(c5_1, o + 5 * ld + 8, add, pb, 8);
        if (!full) Scatter(t, 16, rows, cols, c, ldc, accumulate, bias);
    }
}
