using System.Numerics.Tensors;

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
            for (int p = 0; p < pairs; p++) Head(w, c, p / heads, p % heads, w.AttentionScores[0], probabilities);
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var scores = w.AttentionScores[worker];
            for (int p = worker; p < pairs; p += workers) Head(w, c, p / heads, p % heads, scores, probabilities);
        });
    }

    private static void Head(BertWorkspace w, BertConfig c, int sequence, int head, float[] scoreBuffer, float[]? probabilities)
    {
        int d = c.HiddenSize, hs = c.HeadSize, stride = 3 * d;
        int length = w.Length(sequence), first = w.Offset(sequence);
        float scale = 1f / MathF.Sqrt(hs);
        var qkv = w.Qkv.AsSpan(first * stride, length * stride);
        var context = w.Context.AsSpan(first * d, length * d);
        var scores = scoreBuffer.AsSpan(0, length);
        int qAt = head * hs, kAt = d + head * hs, vAt = 2 * d + head * hs;
        for (int i = 0; i < length; i++)
        {
            var q = qkv.Slice(i * stride + qAt, hs);
            for (int j = 0; j < length; j++) scores[j] = TensorPrimitives.Dot(q, qkv.Slice(j * stride + kAt, hs)) * scale;
            Loom.Tensors.Softmax.InPlace(scores);
            if (probabilities is not null) scores.CopyTo(probabilities.AsSpan((head * length + i) * length, length));
            var output = context.Slice(i * d + head * hs, hs);
            output.Clear();
            for (int j = 0; j < length; j++) TensorPrimitives.MultiplyAdd(qkv.Slice(j * stride + vAt, hs), scores[j], output, output);
        }
    }
}
