using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>
/// y[m × n] = x[m × k] · Wᵀ (+ bias) for Q8_0 and Q4_0 weights the way llama.cpp's CPU backend computes it: each row of
/// x is first rounded to Q8_0 blocks (<see cref="Q8Activations"/>), then every pair of 32-value blocks meets in an exact
/// integer dot product (AVX-VNNI <c>vpdpbusd</c>, else AVX2 <c>pmaddubsw</c> + <c>pmaddwd</c>, else plain C#), scaled by
/// d_x·d_w and summed in f32. Faster than decoding the weights to f32, and within f32 rounding of llama.cpp's logits;
/// less exact than <see cref="MatMul.Multiply(ReadOnlySpan{float}, int, WeightMatrix, ReadOnlySpan{float}, Span{float}, int)"/>
/// by the rounding of x (about 0.4% of a block's largest value).
/// Every path (and every thread count, and batching) gives the same bits: the integer sums are exact and the f32
/// accumulation follows one fixed order (eight lanes of four products each, reduced pairwise).
/// </summary>
public static unsafe class Int8MatMul
{
    /// <summary>True for the weight types this product handles (Q8_0, Q4_0).</summary>
    public static bool Supports(GgmlType type) => type is GgmlType.Q8_0 or GgmlType.Q4_0;

    [ThreadStatic] private static Q8Activations? activations;

    /// <param name="x">activations, row-major [m × w.Cols]</param>
    /// <param name="m">number of rows of x</param>
    /// <param name="w">Q8_0 or Q4_0 weights [n × k]</param>
    /// <param name="bias">length n, or empty for none</param>
    /// <param name="y">output, row-major [m × w.Rows]</param>
    /// <param name="threads">worker threads; 0 = all cores</param>
    public static void Multiply(ReadOnlySpan<float> x, int m, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (!Supports(w.Type)) throw new NotSupportedException($"the integer product takes Q8_0 or Q4_0 weights, not {w.Type}");
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        int n = w.Rows, k = w.Cols;
        if (x.Length < (long)m * k) throw new ArgumentException($"x holds {x.Length} values, fewer than {m} × {k}", nameof(x));
        if (y.Length < (long)m * n) throw new ArgumentException($"y holds {y.Length} values, fewer than {m} × {n}", nameof(y));
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} values, not {n}", nameof(bias));
        if (m == 0) return;
        if (threads == 0) threads = Environment.ProcessorCount;

        var q8 = activations ??= new Q8Activations();
        var path = Kernels.Path;
        using var pin = w.Data.Pin();
        fixed (float* px = x)
        fixed (float* py = y)
        {
            q8.Quantize(px, m, k, threads, path);
            Run(q8, w, (byte*)pin.Pointer, py, threads, path);
        }
        if (!bias.IsEmpty)
            for (int i = 0; i < m; i++) TensorPrimitives.Add(y.Slice(i * n, n), bias, y.Slice(i * n, n));
    }

    /// <summary>The x rows as <see cref="Multiply"/> rounds them, decoded back to f32 (for tests and references).</summary>
    public static float[] RoundActivations(ReadOnlySpan<float> x, int m, int k)
    {
        var q8 = new Q8Activations();
        var result = new float[m * k];
        fixed (float* px = x) q8.Quantize(px, m, k, 1, Kernels.Path);
        for (int i = 0; i < result.Length; i++) result[i] = q8.Quants[i] * q8.Scales[i / 32];
        return result;
    }

    /// <summary>Weight rows per task: a block of them stays in cache while every row of x passes.</summary>
    private const int ColumnBlock = 16;

    private static void Run(Q8Activations q8, WeightMatrix w, byte* wp, float* y, int threads, KernelPath path)
    {
        int m = q8.Rows, n = w.Rows, k = w.Cols, rowBytes = w.RowBytes;
        int chunks = (n + ColumnBlock - 1) / ColumnBlock;
        // Single rows are memory-bound: spread them evenly; batches take whole column blocks.
        int tasks = m == 1 ? Math.Min(n, threads * 4) : chunks;
        int perTask = m == 1 ? (n + tasks - 1) / tasks : ColumnBlock;
        bool vnni = path == KernelPath.Avx512 && AvxVnni.IsSupported;
        bool q4 = w.Type == GgmlType.Q4_0;
        nint qa = (nint)q8.Quants, sa = (nint)q8.Scales, wa = (nint)wp, ya = (nint)y;
        MatMul.For(tasks, threads, t =>
        {
            var tile = new Tile((sbyte*)qa, (float*)sa, k, (byte*)wa, rowBytes, (float*)ya, n);
            int first = t * perTask, end = Math.Min(n, first + perTask);
            if (path == KernelPath.Scalar) tile.Scalar(0, m, first, end, q4);
            else if (q4 && vnni) tile.Run<Q4_0Blocks, VnniDot>(m, first, end);
            else if (q4) tile.Run<Q4_0Blocks, Avx2Dot>(m, first, end);
            else if (vnni) tile.Run<Q8_0Blocks, VnniDot>(m, first, end);
            else tile.Run<Q8_0Blocks, Avx2Dot>(m, first, end);
        });
    }

    /// <summary>A weight format: its block size and its 32 quants as signed bytes.</summary>
    private interface IBlocks
    {
        static abstract int Bytes { get; }
        static abstract Vector256<sbyte> Load(byte* block);
    }

    private struct Q8_0Blocks : IBlocks
    {
        public static int Bytes => 34;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Load(byte* block) => Vector256.Load((sbyte*)(block + 2));
    }

    private struct Q4_0Blocks : IBlocks
    {
        public static int Bytes => 18;

        /// <summary>Low nibbles are values 0–15, high nibbles 16–31, each stored +8.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Load(byte* block)
        {
            var qs = Vector128.Load(block + 2);
            var mask = Vector128.Create((byte)15);
            return (Vector256.Create(qs & mask, Vector128.ShiftRightLogical(qs, 4) & mask) - Vector256.Create((byte)8)).AsSByte();
        }
    }

    /// <summary>
    /// An exact int8 · int8 dot product, four products summed per 32-bit lane. The instructions multiply unsigned by
    /// signed bytes, so each way prepares a weight block once (reused by every row of x) and an x block once.
    /// </summary>
    private interface IDot
    {
        static abstract Vector256<int> Weights(Vector256<sbyte> w);
        static abstract Vector256<byte> Activations(Vector256<sbyte> x);
        static abstract Vector256<int> Dot(Vector256<byte> x, Vector256<sbyte> w, Vector256<int> prepared);
    }

    /// <summary>vpdpbusd on x + 128 (unsigned): Σ(x + 128)·w − 128·Σw, the correction taken once per weight block.</summary>
    private struct VnniDot : IDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Weights(Vector256<sbyte> w) =>
            Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Create((byte)128), w);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Activations(Vector256<sbyte> x) => x.AsByte() ^ Vector256.Create((byte)128);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> x, Vector256<sbyte> w, Vector256<int> correction) =>
            AvxVnni.MultiplyWideningAndAdd(correction, x, w);
    }

    /// <summary>pmaddubsw(|w|, x·sign(w)) + pmaddwd: no pair of products reaches the int16 limit (|x| ≤ 127, |w| ≤ 128).</summary>
    private struct Avx2Dot : IDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Weights(Vector256<sbyte> w) => Avx2.Abs(w).AsInt32();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Activations(Vector256<sbyte> x) => x.AsByte();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> x, Vector256<sbyte> w, Vector256<int> magnitudes) =>
            Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitudes.AsByte(), Avx2.Sign(x.AsSByte(), w)), Vector256.Create((short)1));
    }

    /// <summary>The operands of one task: x quants and scales, the weights and y.</summary>
    private readonly struct Tile(sbyte* xq, float* xd, int k, byte* w, int rowBytes, float* y, int n)
    {
        private readonly int _blocks = k / 32;

        /// <summary>Rows [0, m) of x times weight rows [first, end): 4 × 2 tiles, then what is left one by one.</summary>
        public void Run<TB, TD>(int m, int first, int end) where TB : struct, IBlocks where TD : struct, IDot
        {
            int r = 0;
            for (; r + 4 <= m; r += 4)
            {
                int c = first;
                for (; c + 2 <= end; c += 2) Tile4x2<TB, TD>(r, c);
                for (; c < end; c++)
                    for (int i = r; i < r + 4; i++) One<TB, TD>(i, c);
            }
            for (; r < m; r++)
                for (int c = first; c < end; c++) One<TB, TD>(r, c);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Tile4x2<TB, TD>(int r, int c) where TB : struct, IBlocks where TD : struct, IDot
        {
            Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
            sbyte* x0 = xq + (long)r * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
            float* d0 = xd + (long)r * _blocks, d1 = d0 + _blocks, d2 = d1 + _blocks, d3 = d2 + _blocks;
            byte* w0 = w + (long)c * rowBytes, w1 = w0 + rowBytes;
            for (int b = 0; b < _blocks; b++, w0 += TB.Bytes, w1 += TB.Bytes)
            {
                var q0 = TB.Load(w0);
                var q1 = TB.Load(w1);
                var p0 = TD.Weights(q0);
                var p1 = TD.Weights(q1);
                float s0 = Quantization.HalfToSingle(*(ushort*)w0), s1 = Quantization.HalfToSingle(*(ushort*)w1);
                var x = TD.Activations(Vector256.Load(x0 + 32 * b));
                a00 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TD.Dot(x, q0, p0)), Vector256.Create(d0[b] * s0), a00);
                a01 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TD.Dot(x, q1, p1)), Vector256.Create(d0[b] * s1), a01);
                x = TD.Activations(Vector256.Load(x1 + 32 * b));
                a10 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TD.Dot(x, q0, p0)), Vector256.Create(d1[b] * s0), a10);
                a11 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TD.Dot(x, q1, p1)), Vector256.Create(d1[b] * s1), a11);
                x = TD.Activations(Vector256.Load(x2 + 32 * b));
                a20 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TD.Dot(x, q0, p0)), Vector256.Create(d2[b] * s0), a20);
                a21 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TD.Dot(x, q1, p1)), Vector256.Create(d2[b] * s1), a21);
                x = TD.Activations(Vector256.Load(x3 + 32 * b));
                a30 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TD.Dot(x, q0, p0)), Vector256.Create(d3[b] * s0), a30);
                a31 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TD.Dot(x, q1, p1)), Vector256.Create(d3[b] * s1), a31);
            }
            float* o = y + (long)r * n + c;
            o[0] = Sum(a00); o[1] = Sum(a01); o += n;
            o[0] = Sum(a10); o[1] = Sum(a11); o += n;
            o[0] = Sum(a20); o[1] = Sum(a21); o += n;
            o[0] = Sum(a30); o[1] = Sum(a31);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void One<TB, TD>(int r, int c) where TB : struct, IBlocks where TD : struct, IDot
        {
            Vector256<float> acc = default;
            sbyte* x0 = xq + (long)r * k;
            float* d0 = xd + (long)r * _blocks;
            byte* w0 = w + (long)c * rowBytes;
            for (int b = 0; b < _blocks; b++, w0 += TB.Bytes)
            {
                var q = TB.Load(w0);
                var dot = TD.Dot(TD.Activations(Vector256.Load(x0 + 32 * b)), q, TD.Weights(q));
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(d0[b] * Quantization.HalfToSingle(*(ushort*)w0)), acc);
            }
            y[(long)r * n + c] = Sum(acc);
        }

        /// <summary>The same arithmetic one value at a time: eight lanes, each summing four products exactly.</summary>
        public void Scalar(int firstRow, int endRow, int first, int end, bool q4)
        {
            int bytes = q4 ? 18 : 34;
            var quants = stackalloc sbyte[32];
            var acc = stackalloc float[8];
            for (int c = first; c < end; c++)
                for (int r = firstRow; r < endRow; r++)
                {
                    for (int i = 0; i < 8; i++) acc[i] = 0;
                    byte* block = w + (long)c * rowBytes;
                    for (int b = 0; b < _blocks; b++, block += bytes)
                    {
                        for (int j = 0; j < 32; j++)
                            quants[j] = q4 ? (sbyte)((j < 16 ? block[2 + j] & 15 : block[2 + j - 16] >> 4) - 8) : (sbyte)block[2 + j];
                        float scale = xd[(long)r * _blocks + b] * Quantization.HalfToSingle(*(ushort*)block);
                        sbyte* x = xq + (long)r * k + 32 * b;
                        for (int i = 0; i < 8; i++)
                        {
                            int s = x[4 * i] * quants[4 * i] + x[4 * i + 1] * quants[4 * i + 1] + x[4 * i + 2] * quants[4 * i + 2] + x[4 * i + 3] * quants[4 * i + 3];
                            acc[i] = MathF.FusedMultiplyAdd(s, scale, acc[i]);
                        }
                    }
                    float t0 = acc[0] + acc[4], t1 = acc[1] + acc[5], t2 = acc[2] + acc[6], t3 = acc[3] + acc[7];
                    y[(long)r * n + c] = (t0 + t2) + (t1 + t3);
                }
        }
    }

    /// <summary>Lanes (0+4, 1+5, 2+6, 3+7), then (0+2) + (1+3): the order <see cref="Tile.Scalar"/> follows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector256<float> v)
    {
        var h = v.GetLower() + v.GetUpper();
        var q = h + Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1));
        return q.ToScalar() + q.GetElement(1);
    }
}
