using System.Diagnostics;
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
/// Every path (and every thread count, and batching) gives the same bits: each block's integer sum is exact and the f32
/// accumulation over blocks follows one fixed order. One row of x (generation) streams W once, eight weight rows at a
/// time in one pass; more rows (prompt processing) pack eight weight rows into a column-interleaved panel, and each tile
/// takes 4 rows of x × two panels.
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
        threads = MatMul.CheckOperands(x, m, w, bias, y, threads);
        int n = w.Rows, k = w.Cols;
        if (!Supports(w.Type)) throw new NotSupportedException($"the integer product takes Q8_0 or Q4_0 weights, not {w.Type}");
        if (m == 0) return;

        var q8 = activations ??= new Q8Activations();
        var path = Kernels.Path;
        // The packed VNNI product (more than one row) reads x as unsigned bytes, x + 128: rounded straight into that form.
        bool unsigned = m > 1 && Vnni(path);
        using var pin = w.Data.Pin();
        fixed (float* px = x)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            q8.Quantize(px, m, k, threads, path, unsigned);
            Run(q8, unsigned, w, (byte*)pin.Pointer, pb, py, threads, path);
        }
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

    private static bool Vnni(KernelPath path) => path == KernelPath.Avx512 && AvxVnni.IsSupported;

    /// <param name="unsigned">q8 holds x + 128 (for the packed VNNI product) rather than x</param>
    /// <param name="bias">length n, or null</param>
    private static void Run(Q8Activations q8, bool unsigned, WeightMatrix w, byte* wp, float* bias, float* y, int threads, KernelPath path)
    {
        int m = q8.Rows, n = w.Rows;
        var operands = new Operands(q8.Quants, q8.Scales, w.Cols, wp, w.RowBytes, w.Type == GgmlType.Q4_0, y, n);
        nint state = (nint)(&operands);
        if (path == KernelPath.Scalar || m == 1)
        {
            if (path == KernelPath.Scalar)
            {
                int parts = Math.Min(n, threads * 4);
                MatMul.For(parts, threads, t => ((Operands*)state)->Scalar(m, n * t / parts, n * (t + 1) / parts));
            }
            else Gemv(state, n, w.RowBytes, threads, path);
            if (bias is not null)
                for (int i = 0; i < m; i++) TensorPrimitives.Add(new ReadOnlySpan<float>(y + (long)i * n, n), new ReadOnlySpan<float>(bias, n), new Span<float>(y + (long)i * n, n));
            return;
        }
        // A task packs enough panels to fill about 256 KB of cache (every row of x then streams past them once), but no
        // more than leaves two tasks per thread. Weights kept for repeated products are packed once, whole.
        int panels = (n + 7) / 8, panelBytes = w.Cols / 32 * PanelBlockBytes;
        // Whole pairs of panels, the tile's width.
        int perTask = Math.Max(2, Math.Clamp(PanelCacheBytes / panelBytes, 1, Math.Max(1, panels / (2 * threads))) & ~1);
        int tasks = (panels + perTask - 1) / perTask;
        byte[]? kept = w.PackForRepeatedProducts ? w.Int8Panels(PackAll) : null;
        fixed (byte* all = kept)
        {
            nint packed = (nint)all;
            MatMul.For(tasks, threads, t =>
            {
                var o = (Operands*)state;
                int first = t * perTask, end = Math.Min(panels, (t + 1) * perTask);
                if (unsigned) o->Gemm<VnniPanel>(m, first, end, (byte*)packed, bias);
                else o->Gemm<Avx2Panel>(m, first, end, (byte*)packed, bias);
            });
        }
    }

    /// <summary>One row of x: memory-bound, so threads take even ranges of weight rows (multiples of 8) and W streams
    /// through once.</summary>
    private static void Gemv(nint state, int n, int rowBytes, int threads, KernelPath path)
    {
        bool vnni = Vnni(path);
        int groups = (n + 7) / 8, tasks = Math.Min(groups, threads * 4);
        // A small W (the K and V projections of a GQA model, 64 KB) is done in a few µs; fork/join would cost more.
        if ((long)n * rowBytes < GemvParallelBytes) tasks = 1;
        MatMul.For(tasks, threads, t =>
        {
            var o = (Operands*)state;
            int first = 8 * (groups * t / tasks), end = Math.Min(n, 8 * (groups * (t + 1) / tasks));
            if (o->Q4 && vnni) o->Gemv<Q4_0Vnni>(first, end);
            else if (o->Q4) o->Gemv<Q4_0Avx2>(first, end);
            else if (vnni) o->Gemv<Q8_0Vnni>(first, end);
            else o->Gemv<Q8_0Avx2>(first, end);
        });
    }

    /// <summary>Every panel of <paramref name="w"/>, for weights kept packed.</summary>
    private static byte[] PackAll(WeightMatrix w)
    {
        int panels = (w.Rows + 7) / 8, panelBytes = w.Cols / 32 * PanelBlockBytes;
        var bytes = GC.AllocateUninitializedArray<byte>(checked(panels * panelBytes), pinned: true);
        using var pin = w.Data.Pin();
        var operands = new Operands(null, null, w.Cols, (byte*)pin.Pointer, w.RowBytes, w.Type == GgmlType.Q4_0, null, w.Rows);
        fixed (byte* dst = bytes)
            for (int p = 0; p < panels; p++) operands.Pack(p * 8, dst + (long)p * panelBytes);
        return bytes;
    }

    /// <summary>Bytes of packed panels a task keeps in cache while every row of x passes.</summary>
    private const int PanelCacheBytes = 256 * 1024;

    /// <summary>A packed block of 8 weight rows: 8 f32 scales, 8 VNNI corrections (−128·Σq), then the quants as
    /// 8 groups × 8 rows × 4 bytes, so one 32-byte load holds the same 4 columns of every row.</summary>
    private const int PanelBlockBytes = 64 + 256;

    /// <summary>Below this many weight bytes the matrix-vector product stays on one thread (measured: 64 KB took
    /// 3.7 µs alone, 13 µs on two threads; 450 KB was about even).</summary>
    private const long GemvParallelBytes = 256 * 1024;

    [ThreadStatic] private static byte[]? panelScratch;
    /// <summary>One block's 32 quants as signed bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> LoadBlock(byte* block, bool q4)
    {
        if (!q4) return Vector256.Load((sbyte*)(block + 2));
        return (Nibbles(block) - Vector256.Create((byte)8)).AsSByte();
    }

    /// <summary>A Q4_0 block's quants as stored (0–15): low nibbles are values 0–15, high nibbles 16–31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Nibbles(byte* block)
    {
        var qs = Vector128.Load(block + 2);
        var mask = Vector128.Create((byte)15);
        return Vector256.Create(qs & mask, Vector128.ShiftRightLogical(qs, 4) & mask);
    }

    /// <summary>Exact Σ x·w of one block per 32-bit lane (lanes summed by the caller), for the matrix-vector product.</summary>
    private interface IRowDot
    {
        static abstract bool Q4 { get; }

        /// <summary>Q8_0: one row's block against x.</summary>
        static virtual Vector256<int> Dot(Vector256<sbyte> x, byte* block) => throw new UnreachableException();

        /// <summary>Q4_0: two rows' blocks a (low 128 bits) and b (high) at once, against x's values 0–15 and 16–31
        /// each repeated in both halves; lanes 0–3 sum to a's dot, lanes 4–7 to b's.</summary>
        static virtual Vector256<int> DotPair(Vector256<sbyte> x0, Vector256<sbyte> x1, byte* a, byte* b) => throw new UnreachableException();
    }

    /// <summary>Two Q4_0 blocks' stored quants: a's 16 packed bytes in the low half, b's in the high half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Packed(byte* a, byte* b) => Vector256.Create(Vector128.Load(a + 2), Vector128.Load(b + 2));

    /// <summary>Q4_0 on vpdpbusd: the stored nibbles (0–15) are the unsigned operand; the caller subtracts 8·Σx.</summary>
    private struct Q4_0Vnni : IRowDot
    {
        public static bool Q4 => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> DotPair(Vector256<sbyte> x0, Vector256<sbyte> x1, byte* a, byte* b)
        {
            var q = Packed(a, b);
            var mask = Vector256.Create((byte)15);
            return AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, q & mask, x0),
                Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask, x1);
        }
    }

    /// <summary>Q4_0 on pmaddubsw (nibble·x pairs stay far below the int16 limit) + pmaddwd; the caller subtracts 8·Σx.</summary>
    private struct Q4_0Avx2 : IRowDot
    {
        public static bool Q4 => true;

        /// <summary>Each pmaddubsw pair is at most 2·15·127, so the two add without reaching the int16 limit.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> DotPair(Vector256<sbyte> x0, Vector256<sbyte> x1, byte* a, byte* b)
        {
            var q = Packed(a, b);
            var mask = Vector256.Create((byte)15);
            var pairs = Avx2.MultiplyAddAdjacent(q & mask, x0) + Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask, x1);
            return Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
        }
    }

    /// <summary>Q8_0 on vpdpbusd(|w|, x·sign(w)).</summary>
    private struct Q8_0Vnni : IRowDot
    {
        public static bool Q4 => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<sbyte> x, byte* block)
        {
            var w = Vector256.Load((sbyte*)(block + 2));
            return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Avx2.Abs(w), Avx2.Sign(x, w));
        }
    }

    /// <summary>Q8_0 on pmaddubsw(|w|, x·sign(w)) + pmaddwd: no pair reaches the int16 limit (|x| ≤ 127, |w| ≤ 128).</summary>
    private struct Q8_0Avx2 : IRowDot
    {
        public static bool Q4 => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<sbyte> x, byte* block)
        {
            var w = Vector256.Load((sbyte*)(block + 2));
            return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(w), Avx2.Sign(x, w)), Vector256.Create((short)1));
        }
    }

    /// <summary>Exact Σ x·w of one packed group (4 columns × 8 weight rows) against 4 bytes of x broadcast to every lane.</summary>
    private interface IPanelDot
    {
        /// <summary>True when x is stored +128 (unsigned) and the block's corrections start each sum.</summary>
        static abstract bool Biased { get; }
        static abstract Vector256<int> Add(Vector256<int> sum, int x4, Vector256<sbyte> w);
    }

    /// <summary>vpdpbusd(x + 128, w), started from −128·Σw.</summary>
    private struct VnniPanel : IPanelDot
    {
        public static bool Biased => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> sum, int x4, Vector256<sbyte> w) =>
            AvxVnni.MultiplyWideningAndAdd(sum, Vector256.Create(x4).AsByte(), w);
    }

    /// <summary>pmaddubsw(|w|, x·sign(w)) + pmaddwd: exact for every int8 w, −128 included.</summary>
    private struct Avx2Panel : IPanelDot
    {
        public static bool Biased => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> sum, int x4, Vector256<sbyte> w)
        {
            var x = Vector256.Create(x4).AsSByte();
            return sum + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(w), Avx2.Sign(x, w)), Vector256.Create((short)1));
        }
    }

    /// <summary>
    /// The operands of one product; xq holds x as signed bytes, or as x + 128 for the VNNI panels. Every path computes,
    /// for each output, S_b = Σ x·w over block b exactly (int32), then y = fma(S_b, d_x·d_w, y) over b = 0, 1, … in
    /// order, from 0: the same bits whatever the path or tiling.
    /// </summary>
    private readonly struct Operands(sbyte* xq, float* xd, int k, byte* w, int rowBytes, bool q4, float* y, int n)
    {
        private readonly int _blocks = k / 32;
        private readonly int _blockBytes = q4 ? 18 : 34;

        public bool Q4 => q4;

        /// <summary>Rows [first, end) of W against the single row of x, 8 rows side by side in one pass: per block, the
        /// 8 rows' exact sums land in the lanes of one vector, which meets the 8 scales in one FMA (lane j is row c + j).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Gemv<T>(int first, int end) where T : struct, IRowDot
        {
            int blocks = _blocks, bytes = _blockBytes, linesPerBlock = (8 * bytes + 63) / 64;
            int c = first;
            for (; c + 8 <= end; c += 8)
            {
                byte* p = w + (long)c * rowBytes;
                long rb = rowBytes;
                byte* next = p + 8 * rb;
                bool more = c + 16 <= end;
                Vector256<float> acc = default;
                for (int b = 0; b < blocks; b++, p += bytes)
                {
                    // The next 8 rows are the next contiguous stretch of W: ask for it a few lines per block, so it streams
                    // in while this group computes (out of cache 1.6–2.3× faster than 256 B ahead in each of the 8 rows).
                    if (more)
                        for (int i = 0; i < linesPerBlock; i++) Sse.Prefetch0(next + 64 * (b * linesPerBlock + i));
                    var x = Vector256.Load(xq + 32 * b);
                    Vector256<int> s;
                    if (T.Q4)
                    {
                        // Rows j and j + 4 share a vector; three horizontal adds then leave row j in lane j.
                        var x0 = Avx2.BroadcastVector128ToVector256(xq + 32 * b);
                        var x1 = Avx2.BroadcastVector128ToVector256(xq + 32 * b + 16);
                        s = Avx2.HorizontalAdd(
                            Avx2.HorizontalAdd(T.DotPair(x0, x1, p, p + 4 * rb), T.DotPair(x0, x1, p + rb, p + 5 * rb)),
                            Avx2.HorizontalAdd(T.DotPair(x0, x1, p + 2 * rb, p + 6 * rb), T.DotPair(x0, x1, p + 3 * rb, p + 7 * rb)));
                    }
                    else
                    s = Sums(T.Dot(x, p), T.Dot(x, p + rb), T.Dot(x, p + 2 * rb), T.Dot(x, p + 3 * rb),
                        T.Dot(x, p + 4 * rb), T.Dot(x, p + 5 * rb), T.Dot(x, p + 6 * rb), T.Dot(x, p + 7 * rb));
                    // Q4_0 stores q + 8 and the dot products use q + 8 as is: Σ(q + 8)·x − 8·Σx.
                    if (T.Q4) s -= Vector256.Create(8 * Sum(x));
                    var d = Quantization.HalfToSingle(Vector128.Create(*(ushort*)p, *(ushort*)(p + rb), *(ushort*)(p + 2 * rb),
                        *(ushort*)(p + 3 * rb), *(ushort*)(p + 4 * rb), *(ushort*)(p + 5 * rb), *(ushort*)(p + 6 * rb),
                        *(ushort*)(p + 7 * rb)));
                    acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s), d * Vector256.Create(xd[b]), acc);
                }
                acc.Store(y + c);
            }
            for (; c < end; c++) One(0, c);
        }

        /// <summary>Panels [firstPanel, endPanel) (8 weight rows each) against every row of x, 4 rows of x × 16 weight rows
        /// at a time; the panels come from <paramref name="kept"/> (every panel of W, packed once) or are packed here.</summary>
        /// <param name="bias">added to every row of the result, or null</param>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Gemm<T>(int m, int firstPanel, int endPanel, byte* kept, float* bias) where T : struct, IPanelDot
        {
            int panelBytes = _blocks * PanelBlockBytes;
            byte* panels;
            if (kept is not null) panels = kept + (long)firstPanel * panelBytes;
            else
            {
                int needed = (endPanel - firstPanel) * panelBytes;
                if (panelScratch is null || panelScratch.Length < needed) panelScratch = GC.AllocateUninitializedArray<byte>(needed, pinned: true);
                panels = (byte*)Unsafe.AsPointer(ref panelScratch[0]);
                for (int p = firstPanel; p < endPanel; p++) Pack(p * 8, panels + (p - firstPanel) * panelBytes);
            }
            var tile = stackalloc float[64];
            for (int r = 0; r < m; r += 4)
                for (int p = firstPanel; p < endPanel; p += 2)
                {
                    byte* panel = panels + (p - firstPanel) * panelBytes;
                    int rows = Math.Min(4, m - r), pair = Math.Min(2, endPanel - p);
                    // A lone last panel (only a matrix's last can be: tasks take whole pairs) goes through the pair kernel twice over.
                    if (rows == 4) Tile4x16<T>(panel, pair == 2 ? panel + panelBytes : panel, r, tile);
                    else
                        for (int h = 0; h < pair; h++)
                            for (int i = 0; i < rows; i++) Tile1<T>(panel + h * panelBytes, r + i, tile + 32 * h + 8 * i);
                    for (int h = 0; h < pair; h++)
                        Store(tile + 32 * h, r, rows, (p + h) * 8, bias);
                }
        }

        /// <summary>Rows r … r+rows−1 of a tile (8 floats per row) into y at columns c … c+7 (fewer at the edge), plus bias.</summary>
        private void Store(float* tile, int r, int rows, int c, float* bias)
        {
            int columns = Math.Min(8, n - c);
            for (int i = 0; i < rows; i++)
            {
                float* row = y + (long)(r + i) * n + c;
                if (columns == 8) (bias is null ? Vector256.Load(tile + 8 * i) : Vector256.Load(tile + 8 * i) + Vector256.Load(bias + c)).Store(row);
                else
                    for (int j = 0; j < columns; j++) row[j] = bias is null ? tile[8 * i + j] : tile[8 * i + j] + bias[c + j];
            }
        }

        /// <summary>Weight rows c..c+7 (missing rows zero) in the packed layout of <see cref="PanelBlockBytes"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Pack(int c, byte* panel)
        {
            for (int j = 0; j < 8; j++)
            {
                bool present = c + j < n;
                byte* row = w + (long)(c + j) * rowBytes;
                for (int b = 0; b < _blocks; b++)
                {
                    byte* dst = panel + b * PanelBlockBytes;
                    var q = present ? LoadBlock(row + b * _blockBytes, q4) : default;
                    ((float*)dst)[j] = present ? Quantization.HalfToSingle(*(ushort*)(row + b * _blockBytes)) : 0;
                    ((int*)dst)[8 + j] = -128 * Sum(q);
                    var groups = q.AsInt32();
                    for (int g = 0; g < 8; g++) ((int*)(dst + 64))[8 * g + j] = groups.GetElement(g);
                }
            }
        }

        /// <summary>4 rows of x × two panels (16 weight rows): each broadcast of x feeds two products, and eight
        /// independent sums need no even/odd split. Same integer sums and the same f32 order as <see cref="Tile1{T}"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Tile4x16<T>(byte* pa, byte* pb, int r, float* tile) where T : struct, IPanelDot
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            sbyte* x0 = xq + (long)r * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
            float* d0 = xd + (long)r * _blocks, d1 = d0 + _blocks, d2 = d1 + _blocks, d3 = d2 + _blocks;
            for (int b = 0; b < _blocks; b++, pa += PanelBlockBytes, pb += PanelBlockBytes, x0 += 32, x1 += 32, x2 += 32, x3 += 32)
            {
                var startA = T.Biased ? Vector256.Load((int*)pa + 8) : default;
                var startB = T.Biased ? Vector256.Load((int*)pb + 8) : default;
                Vector256<int> s0 = startA, s1 = startA, s2 = startA, s3 = startA, t0 = startB, t1 = startB, t2 = startB, t3 = startB;
                for (int g = 0; g < 8; g++)
                {
                    var qa = Vector256.Load((sbyte*)pa + 64 + 32 * g);
                    var qb = Vector256.Load((sbyte*)pb + 64 + 32 * g);
                    int e0 = ((int*)x0)[g], e1 = ((int*)x1)[g], e2 = ((int*)x2)[g], e3 = ((int*)x3)[g];
                    s0 = T.Add(s0, e0, qa);
                    t0 = T.Add(t0, e0, qb);
                    s1 = T.Add(s1, e1, qa);
                    t1 = T.Add(t1, e1, qb);
                    s2 = T.Add(s2, e2, qa);
                    t2 = T.Add(t2, e2, qb);
                    s3 = T.Add(s3, e3, qa);
                    t3 = T.Add(t3, e3, qb);
                }
                var scalesA = Vector256.Load((float*)pa);
                var scalesB = Vector256.Load((float*)pb);
                a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s0), scalesA * Vector256.Create(d0[b]), a0);
                a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s1), scalesA * Vector256.Create(d1[b]), a1);
                a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s2), scalesA * Vector256.Create(d2[b]), a2);
                a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s3), scalesA * Vector256.Create(d3[b]), a3);
                b0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(t0), scalesB * Vector256.Create(d0[b]), b0);
                b1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(t1), scalesB * Vector256.Create(d1[b]), b1);
                b2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(t2), scalesB * Vector256.Create(d2[b]), b2);
                b3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(t3), scalesB * Vector256.Create(d3[b]), b3);
            }
            a0.Store(tile);
            a1.Store(tile + 8);
            a2.Store(tile + 16);
            a3.Store(tile + 24);
            b0.Store(tile + 32);
            b1.Store(tile + 40);
            b2.Store(tile + 48);
            b3.Store(tile + 56);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Tile1<T>(byte* panel, int r, float* tile) where T : struct, IPanelDot
        {
            Vector256<float> a0 = default;
            sbyte* x0 = xq + (long)r * k;
            float* d0 = xd + (long)r * _blocks;
            for (int b = 0; b < _blocks; b++, panel += PanelBlockBytes, x0 += 32)
            {
                var s0 = T.Biased ? Vector256.Load((int*)panel + 8) : default;
                for (int g = 0; g < 8; g++) s0 = T.Add(s0, ((int*)x0)[g], Vector256.Load((sbyte*)panel + 64 + 32 * g));
                a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s0), Vector256.Load((float*)panel) * Vector256.Create(d0[b]), a0);
            }
            a0.Store(tile);
        }

        /// <summary>One output, vectorised per block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void One(int r, int c)
        {
            float acc = 0;
            sbyte* x = xq + (long)r * k;
            byte* block = w + (long)c * rowBytes;
            for (int b = 0; b < _blocks; b++, block += _blockBytes, x += 32)
            {
                var q = LoadBlock(block, q4);
                int s = Sum(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(q), Avx2.Sign(Vector256.Load(x), q)), Vector256.Create((short)1)));
                acc = MathF.FusedMultiplyAdd(s, xd[(long)r * _blocks + b] * Quantization.HalfToSingle(*(ushort*)block), acc);
            }
            y[(long)r * n + c] = acc;
        }

        /// <summary>The same arithmetic one value at a time.</summary>
        public void Scalar(int m, int first, int end)
        {
            for (int c = first; c < end; c++)
                for (int r = 0; r < m; r++)
                {
                    float acc = 0;
                    byte* block = w + (long)c * rowBytes;
                    sbyte* x = xq + (long)r * k;
                    for (int b = 0; b < _blocks; b++, block += _blockBytes, x += 32)
                    {
                        int s = 0;
                        for (int j = 0; j < 32; j++)
                            s += x[j] * (q4 ? (j < 16 ? block[2 + j] & 15 : block[2 + j - 16] >> 4) - 8 : (sbyte)block[2 + j]);
                        acc = MathF.FusedMultiplyAdd(s, xd[(long)r * _blocks + b] * Quantization.HalfToSingle(*(ushort*)block), acc);
                    }
                    y[(long)r * n + c] = acc;
                }
        }
    }

    /// <summary>Σ of 32 signed bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Sum(Vector256<sbyte> v) =>
        Sum(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.Create((byte)1), v), Vector256.Create((short)1)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Sum(Vector256<int> v)
    {
        var h = v.GetLower() + v.GetUpper();
        return Vector128.Sum(h);
    }

    /// <summary>The lane sums of eight vectors, as one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Sums(Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3,
        Vector256<int> v4, Vector256<int> v5, Vector256<int> v6, Vector256<int> v7)
    {
        var ab = Avx2.HorizontalAdd(Avx2.HorizontalAdd(v0, v1), Avx2.HorizontalAdd(v2, v3));
        var cd = Avx2.HorizontalAdd(Avx2.HorizontalAdd(v4, v5), Avx2.HorizontalAdd(v6, v7));
        return Avx2.Permute2x128(ab, cd, 0x20) + Avx2.Permute2x128(ab, cd, 0x31);
    }
}
