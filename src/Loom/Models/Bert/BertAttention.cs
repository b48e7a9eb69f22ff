using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Loom.Tensors;

namespace Loom.Models.Bert;

/// <summary>Multi-head self-attention over packed sequences: each (sequence, head) pair is independent work.</summary>
internal static class BertAttention
{
    /// <summary>Reads Q, K, V from <c>w.Qkv</c> (rows [q | k | v], heads side by side) and writes the context to <c>w.Context</c>.</summary>
    public static void Run(BertWorkspace w, BertConfig c, int threads, BertCapture? capture)
    {
        int heads = c.Heads;
        int pairs = w.Sequences * heads;
        int workers = Math.Min(Math.Min(threads, Environment.ProcessorCount), pairs);
        float[]? probabilities = capture is null ? null : capture.NewAttentionLayer(heads, w.Length(0));
        if (workers <= 1)
        {
            for (int p = 0; p < pairs; p++) Head(w, c, p / heads, p % heads, w.AttentionScratch[0], probabilities);
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var scratch = w.AttentionScratch[worker];
            for (int p = worker; p < pairs; p += workers) Head(w, c, p / heads, p % heads, scratch, probabilities);
        });
    }

    /// <summary>Scratch floats one worker needs for sequences up to <paramref name="longest"/> tokens.</summary>
    public static int ScratchLength(BertConfig c, int longest) => (2 * c.HeadSize + Block) * Padded(longest) + 2 * Block * c.HeadSize;

    private static int Padded(int length) => (length + 7) & ~7;

    // Query rows scored and weighted together: each key (or value) vector loaded serves four rows, and the four rows'
    // accumulators are independent chains that keep both FMA units busy.
    private const int Block = 4;

    // K is gathered transposed ([head size × tokens], padded to 8) so that 8 scores come out of one column of FMAs with
    // no horizontal sums; V is gathered contiguous so each weighted row is a few vector FMAs. Each score is one FMA
    // chain over the head dimension, each output one chain over the keys, whatever the block a row falls in.
    private static void Head(BertWorkspace w, BertConfig c, int sequence, int head, float[] scratch, float[]? probabilities)
    {
        int d = c.HiddenSize, hs = c.HeadSize, stride = 3 * d;
        int length = w.Length(sequence), padded = Padded(length);
        float scale = 1f / MathF.Sqrt(hs);
        var qkv = w.Qkv.AsSpan(w.Offset(sequence) * stride, length * stride);
        var context = w.Context.AsSpan(w.Offset(sequence) * d, length * d);
        var keysT = scratch.AsSpan(0, hs * padded);
        var values = scratch.AsSpan(hs * padded, hs * padded);
        var scores = scratch.AsSpan(2 * hs * padded, Block * padded);
        var queries = scratch.AsSpan((2 * hs + Block) * padded, Block * hs);
        var outputs = scratch.AsSpan((2 * hs + Block) * padded + Block * hs, Block * hs);
        int qAt = head * hs, kAt = d + head * hs, vAt = 2 * d + head * hs;

        keysT.Clear();
        for (int j = 0; j < length; j++)
        {
            var key = qkv.Slice(j * stride + kAt, hs);
            for (int k = 0; k < hs; k++) keysT[k * padded + j] = key[k];
            qkv.Slice(j * stride + vAt, hs).CopyTo(values.Slice(j * hs, hs));
        }

        var path = Kernels.Path;
        bool vectors = path != KernelPath.Scalar && hs % 8 == 0, wide = path == KernelPath.Avx512;
        for (int i0 = 0; i0 < length; i0 += Block)
        {
            int rows = Math.Min(Block, length - i0);
            // A full block reads its queries from qkv and writes its outputs into context in place; the last, partial
            // block goes through scratch rows (its missing rows would reach past the sequence).
            bool full = rows == Block;
            if (!full)
            {
                queries.Clear();
                for (int r = 0; r < rows; r++) qkv.Slice((i0 + r) * stride + qAt, hs).CopyTo(queries.Slice(r * hs, hs));
            }
            var q = full ? qkv[(i0 * stride + qAt)..] : queries;
            int qStride = full ? stride : hs;
            if (vectors) FourRows(q, qStride, keysT, padded, hs, scale, scores, padded, wide);
            else
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < length; j++)
                    {
                        float sum = 0;
                        for (int k = 0; k < hs; k++) sum += q[r * qStride + k] * keysT[k * padded + j];
                        scores[r * padded + j] = sum * scale;
                    }
            for (int r = 0; r < rows; r++)
            {
                var row = scores.Slice(r * padded, length);
                Loom.Tensors.Softmax.InPlace(row);
                if (probabilities is not null) row.CopyTo(probabilities.AsSpan((head * length + i0 + r) * length, length));
            }
            var o = full ? context[(i0 * d + head * hs)..] : outputs;
            int oStride = full ? d : hs;
            if (vectors) FourRows(scores, padded, values, hs, length, 1f, o, oStride, wide);
            else
                for (int r = 0; r < rows; r++)
                {
                    var output = o.Slice(r * oStride, hs);
                    output.Clear();
                    for (int j = 0; j < length; j++) TensorPrimitives.MultiplyAdd(values.Slice(j * hs, hs), scores[r * padded + j], output, output);
                }
            if (!full)
                for (int r = 0; r < rows; r++) outputs.Slice(r * hs, hs).CopyTo(context.Slice((i0 + r) * d + head * hs, hs));
        }
    }

    /// <summary>
    /// c[r, 0..width) = scale · Σ_k a[r, k] · b[k, 0..width) for four rows r: a's rows <paramref name="aStride"/> apart,
    /// b's rows <paramref name="width"/> apart (a multiple of 8), c's <paramref name="cStride"/>; 32 columns at a time
    /// (in 8 zmm accumulators when <paramref name="wide"/>, else 16 ymm), then 16 (wide only), then 8. Scores
    /// (a = queries, b = keys transposed) and weighted values (a = probabilities, b = values).
    /// </summary>
    private static void FourRows(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int width, int inner, float scale, Span<float> c, int cStride, bool wide)
    {
        if (a.Length < 3 * aStride + inner || c.Length < 3 * cStride + width) throw new ArgumentException("four rows do not fit");
        ref float bm = ref MemoryMarshal.GetReference(b);
        ref float cm = ref MemoryMarshal.GetReference(c);
        ref float am = ref MemoryMarshal.GetReference(a);
        int j = 0;
        if (wide)
        {
            // The same FMA chain per output in 512-bit registers: half the instructions, the same bits.
            for (; j + 32 <= width; j += 32)
            {
                Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector512<float> a20 = default, a21 = default, a30 = default, a31 = default;
                for (int k = 0; k < inner; k++)
                {
                    nuint at = (nuint)(k * width + j);
                    var b0 = Vector512.LoadUnsafe(ref bm, at);
                    var b1 = Vector512.LoadUnsafe(ref bm, at + 16);
                    var x0 = Vector512.Create(Unsafe.Add(ref am, k));
                    a00 = Vector512.FusedMultiplyAdd(x0, b0, a00);
                    a01 = Vector512.FusedMultiplyAdd(x0, b1, a01);
                    var x1 = Vector512.Create(Unsafe.Add(ref am, aStride + k));
                    a10 = Vector512.FusedMultiplyAdd(x1, b0, a10);
                    a11 = Vector512.FusedMultiplyAdd(x1, b1, a11);
                    var x2 = Vector512.Create(Unsafe.Add(ref am, 2 * aStride + k));
                    a20 = Vector512.FusedMultiplyAdd(x2, b0, a20);
                    a21 = Vector512.FusedMultiplyAdd(x2, b1, a21);
                    var x3 = Vector512.Create(Unsafe.Add(ref am, 3 * aStride + k));
                    a30 = Vector512.FusedMultiplyAdd(x3, b0, a30);
                    a31 = Vector512.FusedMultiplyAdd(x3, b1, a31);
                }
                Store(a00, a01, scale, ref cm, (nuint)j);
                Store(a10, a11, scale, ref cm, (nuint)(cStride + j));
                Store(a20, a21, scale, ref cm, (nuint)(2 * cStride + j));
                Store(a30, a31, scale, ref cm, (nuint)(3 * cStride + j));
            }
            for (; j + 16 <= width; j += 16)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int k = 0; k < inner; k++)
                {
                    var bv = Vector512.LoadUnsafe(ref bm, (nuint)(k * width + j));
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref am, k)), bv, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref am, aStride + k)), bv, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref am, 2 * aStride + k)), bv, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref am, 3 * aStride + k)), bv, a3);
                }
                (a0 * scale).StoreUnsafe(ref cm, (nuint)j);
                (a1 * scale).StoreUnsafe(ref cm, (nuint)(cStride + j));
                (a2 * scale).StoreUnsafe(ref cm, (nuint)(2 * cStride + j));
                (a3 * scale).StoreUnsafe(ref cm, (nuint)(3 * cStride + j));
            }
        }
        for (; j + 32 <= width; j += 32)
        {
            Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
            for (int k = 0; k < inner; k++)
            {
                nuint at = (nuint)(k * width + j);
                var b0 = Vector256.LoadUnsafe(ref bm, at);
                var b1 = Vector256.LoadUnsafe(ref bm, at + 8);
                var b2 = Vector256.LoadUnsafe(ref bm, at + 16);
                var b3 = Vector256.LoadUnsafe(ref bm, at + 24);
                var x0 = Vector256.Create(Unsafe.Add(ref am, k));
                a00 = Vector256.FusedMultiplyAdd(x0, b0, a00);
                a01 = Vector256.FusedMultiplyAdd(x0, b1, a01);
                a02 = Vector256.FusedMultiplyAdd(x0, b2, a02);
                a03 = Vector256.FusedMultiplyAdd(x0, b3, a03);
                var x1 = Vector256.Create(Unsafe.Add(ref am, aStride + k));
                a10 = Vector256.FusedMultiplyAdd(x1, b0, a10);
                a11 = Vector256.FusedMultiplyAdd(x1, b1, a11);
                a12 = Vector256.FusedMultiplyAdd(x1, b2, a12);
                a13 = Vector256.FusedMultiplyAdd(x1, b3, a13);
                var x2 = Vector256.Create(Unsafe.Add(ref am, 2 * aStride + k));
                a20 = Vector256.FusedMultiplyAdd(x2, b0, a20);
                a21 = Vector256.FusedMultiplyAdd(x2, b1, a21);
                a22 = Vector256.FusedMultiplyAdd(x2, b2, a22);
                a23 = Vector256.FusedMultiplyAdd(x2, b3, a23);
                var x3 = Vector256.Create(Unsafe.Add(ref am, 3 * aStride + k));
                a30 = Vector256.FusedMultiplyAdd(x3, b0, a30);
                a31 = Vector256.FusedMultiplyAdd(x3, b1, a31);
                a32 = Vector256.FusedMultiplyAdd(x3, b2, a32);
                a33 = Vector256.FusedMultiplyAdd(x3, b3, a33);
            }
            Store(a00, a01, a02, a03, scale, ref cm, (nuint)j);
            Store(a10, a11, a12, a13, scale, ref cm, (nuint)(cStride + j));
            Store(a20, a21, a22, a23, scale, ref cm, (nuint)(2 * cStride + j));
            Store(a30, a31, a32, a33, scale, ref cm, (nuint)(3 * cStride + j));
        }
        for (; j < width; j += 8)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int k = 0; k < inner; k++)
            {
                var bv = Vector256.LoadUnsafe(ref bm, (nuint)(k * width + j));
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref am, k)), bv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref am, aStride + k)), bv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref am, 2 * aStride + k)), bv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref am, 3 * aStride + k)), bv, a3);
            }
            (a0 * scale).StoreUnsafe(ref cm, (nuint)j);
            (a1 * scale).StoreUnsafe(ref cm, (nuint)(cStride + j));
            (a2 * scale).StoreUnsafe(ref cm, (nuint)(2 * cStride + j));
            (a3 * scale).StoreUnsafe(ref cm, (nuint)(3 * cStride + j));
        }
    }

    private static void Store(Vector512<float> a0, Vector512<float> a1, float scale, ref float s, nuint at)
    {
        (a0 * scale).StoreUnsafe(ref s, at);
        (a1 * scale).StoreUnsafe(ref s, at + 16);
    }

    private static void Store(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, float scale, ref float s, nuint at)
    {
        (a0 * scale).StoreUnsafe(ref s, at);
        (a1 * scale).StoreUnsafe(ref s, at + 8);
        (a2 * scale).StoreUnsafe(ref s, at + 16);
        (a3 * scale).StoreUnsafe(ref s, at + 24);
    }
}
