using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    public static int ScratchLength(BertConfig c, int longest) => (2 * c.HeadSize + 1) * Padded(longest);

    private static int Padded(int length) => (length + 7) & ~7;

    // K is gathered transposed ([head size × tokens], padded to 8) so that 8 scores come out of one column of FMAs with
    // no horizontal sums; V is gathered contiguous so each weighted row is a few vector FMAs.
    private static void Head(BertWorkspace w, BertConfig c, int sequence, int head, float[] scratch, float[]? probabilities)
    {
        int d = c.HiddenSize, hs = c.HeadSize, stride = 3 * d;
        int length = w.Length(sequence), padded = Padded(length);
        float scale = 1f / MathF.Sqrt(hs);
        var qkv = w.Qkv.AsSpan(w.Offset(sequence) * stride, length * stride);
        var context = w.Context.AsSpan(w.Offset(sequence) * d, length * d);
        var keysT = scratch.AsSpan(0, hs * padded);
        var values = scratch.AsSpan(hs * padded, hs * padded);
        var scores = scratch.AsSpan(2 * hs * padded, padded);
        int qAt = head * hs, kAt = d + head * hs, vAt = 2 * d + head * hs;

        keysT.Clear();
        for (int j = 0; j < length; j++)
        {
            var key = qkv.Slice(j * stride + kAt, hs);
            for (int k = 0; k < hs; k++) keysT[k * padded + j] = key[k];
            qkv.Slice(j * stride + vAt, hs).CopyTo(values.Slice(j * hs, hs));
        }

        bool vectors = Vector256.IsHardwareAccelerated && hs % 8 == 0;
        for (int i = 0; i < length; i++)
        {
            var q = qkv.Slice(i * stride + qAt, hs);
            if (vectors) Scores(q, scale, keysT, padded, scores);
            else
                for (int j = 0; j < length; j++)
                {
                    float sum = 0;
                    for (int k = 0; k < hs; k++) sum += q[k] * keysT[k * padded + j];
                    scores[j] = sum * scale;
                }
            var row = scores[..length];
            Loom.Tensors.Softmax.InPlace(row);
            if (probabilities is not null) row.CopyTo(probabilities.AsSpan((head * length + i) * length, length));
            var output = context.Slice(i * d + head * hs, hs);
            if (vectors) Weighted(row, values, hs, output);
            else
            {
                output.Clear();
                for (int j = 0; j < length; j++) TensorPrimitives.MultiplyAdd(values.Slice(j * hs, hs), row[j], output, output);
            }
        }
    }

    // Four independent accumulators per step: one would leave the FMA units waiting on their own latency.
    private static void Scores(ReadOnlySpan<float> q, float scale, ReadOnlySpan<float> keysT, int padded, Span<float> scores)
    {
        ref float kt = ref MemoryMarshal.GetReference(keysT);
        ref float s = ref MemoryMarshal.GetReference(scores);
        int j = 0;
        for (; j + 32 <= padded; j += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int k = 0; k < q.Length; k++)
            {
                var qk = Vector256.Create(q[k]);
                nuint at = (nuint)(k * padded + j);
                a0 = Vector256.FusedMultiplyAdd(qk, Vector256.LoadUnsafe(ref kt, at), a0);
                a1 = Vector256.FusedMultiplyAdd(qk, Vector256.LoadUnsafe(ref kt, at + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(qk, Vector256.LoadUnsafe(ref kt, at + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(qk, Vector256.LoadUnsafe(ref kt, at + 24), a3);
            }
            (a0 * scale).StoreUnsafe(ref s, (nuint)j);
            (a1 * scale).StoreUnsafe(ref s, (nuint)j + 8);
            (a2 * scale).StoreUnsafe(ref s, (nuint)j + 16);
            (a3 * scale).StoreUnsafe(ref s, (nuint)j + 24);
        }
        for (; j < padded; j += 8)
        {
            var acc = Vector256<float>.Zero;
            for (int k = 0; k < q.Length; k++)
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(q[k]), Vector256.LoadUnsafe(ref kt, (nuint)(k * padded + j)), acc);
            (acc * scale).StoreUnsafe(ref s, (nuint)j);
        }
    }

    private static void Weighted(ReadOnlySpan<float> p, ReadOnlySpan<float> values, int hs, Span<float> output)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        ref float o = ref MemoryMarshal.GetReference(output);
        int c = 0;
        for (; c + 32 <= hs; c += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int j = 0; j < p.Length; j++)
            {
                var pj = Vector256.Create(p[j]);
                nuint at = (nuint)(j * hs + c);
                a0 = Vector256.FusedMultiplyAdd(pj, Vector256.LoadUnsafe(ref v, at), a0);
                a1 = Vector256.FusedMultiplyAdd(pj, Vector256.LoadUnsafe(ref v, at + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(pj, Vector256.LoadUnsafe(ref v, at + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(pj, Vector256.LoadUnsafe(ref v, at + 24), a3);
            }
            a0.StoreUnsafe(ref o, (nuint)c);
            a1.StoreUnsafe(ref o, (nuint)c + 8);
            a2.StoreUnsafe(ref o, (nuint)c + 16);
            a3.StoreUnsafe(ref o, (nuint)c + 24);
        }
        for (; c < hs; c += 8)
        {
            var acc = Vector256<float>.Zero;
            for (int j = 0; j < p.Length; j++)
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(p[j]), Vector256.LoadUnsafe(ref v, (nuint)(j * hs + c)), acc);
            acc.StoreUnsafe(ref o, (nuint)c);
        }
    }
}
