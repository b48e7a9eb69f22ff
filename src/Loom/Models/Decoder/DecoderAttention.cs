using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Loom.Tensors;

namespace Loom.Models.Decoder;

/// <summary>
/// Scaled dot-product attention of a batch of queries over a sequence's cached keys and values: causal, optionally
/// limited to a sliding window, with grouped-query sharing (query head h reads key/value head h / (heads / kvHeads)).
/// Work is split over (token, head) pairs, interleaved over the workers.
/// </summary>
internal static unsafe class DecoderAttention
{
    /// <param name="queries">[tokens × heads·headSize], already rotated</param>
    /// <param name="keys">the layer's cached keys, rows 0 … start+tokens−1 filled</param>
    /// <param name="values">the layer's cached values</param>
    /// <param name="start">position of the first query</param>
    /// <param name="output">[tokens × heads·headSize]</param>
    /// <param name="scores">one scratch row per worker, each at least start+tokens long</param>
    /// <param name="observer">receives each head's weights; forces one worker so its calls come in order</param>
    public static void Run(DecoderConfig config, int layer, float[] queries, Span<float> keys, Span<float> values, int start, int tokens,
        float[] output, float[][] scores, int threads, IForwardObserver? observer)
    {
        int length = (start + tokens) * config.KvDimension;
        fixed (float* k = keys)
        fixed (float* v = values)
        {
            nint ka = (nint)k, va = (nint)v;
            Run(config, layer, queries, ka, va, length, start, tokens, output, scores, threads, observer);
        }
    }

    private static void Run(DecoderConfig config, int layer, float[] queries, nint keys, nint values, int length, int start, int tokens,
        float[] output, float[][] scores, int threads, IForwardObserver? observer)
    {
        int heads = config.Heads;
        int pairs = tokens * heads;
        int workers = observer is null ? Math.Max(1, Math.Min(Math.Min(threads, scores.Length), pairs)) : 1;
        // Worker w takes pairs w, w + workers, …: a later token attends to more keys, so contiguous ranges would leave
        // the last worker most of a causal prompt's work.
        MatMul.For(workers, workers, w =>
        {
            for (int pair = w; pair < pairs; pair += workers)
                Head(config, layer, queries, new ReadOnlySpan<float>((float*)keys, length), new ReadOnlySpan<float>((float*)values, length),
                    start, pair / heads, pair % heads, output, scores[w], observer);
        });
    }

    /// <summary>scores[j] = q · k_j · scale for keys first … last (rows kvDim apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores(float* q, float* keys, int kvDim, int first, int last, int headSize, float scale, float* scores)
    {
        if (Kernels.Path == KernelPath.Avx512 && headSize % 16 == 0)
        {
            // Two sums per key; successive keys are independent, so their chains overlap.
            for (int j = first; j <= last; j++)
            {
                float* k = keys + (long)j * kvDim;
                Vector512<float> a0 = Vector512.Load(q) * Vector512.Load(k), a1 = default;
                int c = 16;
                for (; c + 32 <= headSize; c += 32)
                {
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(q + c), Vector512.Load(k + c), a1);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(q + c + 16), Vector512.Load(k + c + 16), a0);
                }
                if (c < headSize) a1 = Vector512.FusedMultiplyAdd(Vector512.Load(q + c), Vector512.Load(k + c), a1);
                scores[j] = Vector512.Sum(a0 + a1) * scale;
            }
            return;
        }
        for (int j = first; j <= last; j++)
        {
            float* k = keys + (long)j * kvDim;
            var acc = Vector256<float>.Zero;
            for (int c = 0; c < headSize; c += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(q + c), Vector256.Load(k + c), acc);
            scores[j] = Vector256.Sum(acc) * scale;
        }
    }

    /// <summary>o = Σ scores[j] · v_j over values first … last. With 512-bit vectors, 64 columns at a time in four
    /// registers and two keys per step: eight independent sums (one chain per register waited on the FMA latency at
    /// every key).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Weighted(float* values, int kvDim, int first, int last, int headSize, float* scores, float* o)
    {
        int c = 0;
        if (Kernels.Path == KernelPath.Avx512 && headSize % 16 == 0)
        {
            for (; c + 64 <= headSize; c += 64)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
                float* v = values + c + (long)first * kvDim;
                int j = first;
                for (; j < last; j += 2, v += 2 * kvDim)
                {
                    var s = Vector512.Create(scores[j]);
                    var t = Vector512.Create(scores[j + 1]);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(v), s, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 16), s, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 32), s, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 48), s, a3);
                    b0 = Vector512.FusedMultiplyAdd(Vector512.Load(v + kvDim), t, b0);
                    b1 = Vector512.FusedMultiplyAdd(Vector512.Load(v + kvDim + 16), t, b1);
                    b2 = Vector512.FusedMultiplyAdd(Vector512.Load(v + kvDim + 32), t, b2);
                    b3 = Vector512.FusedMultiplyAdd(Vector512.Load(v + kvDim + 48), t, b3);
                }
                if (j == last)
                {
                    var s = Vector512.Create(scores[j]);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(v), s, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 16), s, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 32), s, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 48), s, a3);
                }
                (a0 + b0).Store(o + c);
                (a1 + b1).Store(o + c + 16);
                (a2 + b2).Store(o + c + 32);
                (a3 + b3).Store(o + c + 48);
            }
        }
        for (; c < headSize; c += 8)
        {
            var acc = Vector256<float>.Zero;
            float* v = values + c;
            for (int j = first; j <= last; j++) acc = Vector256.FusedMultiplyAdd(Vector256.Load(v + (long)j * kvDim), Vector256.Create(scores[j]), acc);
            acc.Store(o + c);
        }
    }

    private static void Head(DecoderConfig config, int layer, float[] queries, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int start, int token, int head,
        float[] output, float[] scores, IForwardObserver? observer)
    {
        int headSize = config.HeadSize, kvDim = config.KvDimension;
        int kvOffset = head / (config.Heads / config.KvHeads) * headSize;
        int position = start + token;
        int first = config.SlidingWindow is int window ? Math.Max(0, position - window + 1) : 0;
        var q = queries.AsSpan((token * config.Heads + head) * headSize, headSize);
        float scale = 1 / MathF.Sqrt(headSize);

        var row = scores.AsSpan(first, position - first + 1);
        var o = output.AsSpan((token * config.Heads + head) * headSize, headSize);
        if (Kernels.Path != KernelPath.Scalar && headSize % 8 == 0)
        {
            // Per key a 64-value dot product is too short for a library call: loops over registers instead.
            fixed (float* qp = q)
            fixed (float* kp = keys)
            fixed (float* vp = values)
            fixed (float* sp = scores)
            fixed (float* op = o)
            {
                Scores(qp, kp + kvOffset, kvDim, first, position, headSize, scale, sp);
                Softmax.InPlace(row);
                Weighted(vp + kvOffset, kvDim, first, position, headSize, sp, op);
            }
        }
        else
        {
            for (int j = first; j <= position; j++)
                scores[j] = TensorPrimitives.Dot(q, keys.Slice(j * kvDim + kvOffset, headSize)) * scale;
            Softmax.InPlace(row);
            o.Clear();
            for (int j = first; j <= position; j++)
                TensorPrimitives.MultiplyAdd(values.Slice(j * kvDim + kvOffset, headSize), scores[j], o, o);
        }

        if (observer is not null)
        {
            scores.AsSpan(0, first).Clear();
            observer.OnAttention(layer, head, position, scores.AsSpan(0, position + 1));
        }
    }
}
