using System.Numerics;

namespace Loom.Embeddings;

/// <summary>
/// One training thread: stochastic gradient descent over the chunks of sentences it takes from the queue, updating the shared input and
/// output vectors without locks (Hogwild, as word2vec). Per thread: its own xorshift generator and buffers, so the
/// inner loop allocates nothing; SIMD dot products and fused updates over contiguous vectors, without bounds checks.
/// </summary>
internal sealed unsafe class Word2VecWorker(
    Word2VecEncodedCorpus corpus, Word2VecOptions options, Word2VecNoise noise, ulong[] keepBelow,
    float[] input, float[] output, Word2VecSchedule schedule)
{
    /// <summary>Processed words are published to the schedule (and the learning rate re-read) every this many words.</summary>
    private const int WordsPerUpdate = 10_000;

    /// <summary>Trains on chunks from <paramref name="chunks"/> until none are left; returns early (untrained rest) when cancelled.</summary>
    public void Run(Word2VecChunks chunks, ulong seed, CancellationToken cancellationToken)
    {
        int dims = options.Dimensions, window = options.Window;
        bool skipGram = options.Architecture == Word2VecArchitecture.SkipGram;
        ulong state = seed | 1;
        var kept = new int[corpus.LongestSentence];
        var negatives = new int[options.Negative];
        var hidden = new float[dims];
        var hiddenGradient = new float[dims];
        float alpha = schedule.Rate;
        long unpublished = 0;
        fixed (float* inputs = input, outputs = output, h = hidden, gradient = hiddenGradient)
        fixed (int* tokens = corpus.Tokens, keptIds = kept)
        fixed (ulong* keep = keepBelow)
        {
            while (chunks.TryTake(out int first, out int end))
                for (int s = first; s < end; s++)
                {
                    if (cancellationToken.IsCancellationRequested) return;
                    int start = corpus.SentenceStart(s), length = corpus.Ends[s] - start;
                    if ((unpublished += length) >= WordsPerUpdate)
                    {
                        alpha = schedule.Advance(unpublished);
                        unpublished = 0;
                    }
                    // Frequent-word subsampling, once per sentence: the window then spans kept words only.
                    int n = 0;
                    for (int t = start; t < start + length; t++)
                        if (Next(ref state) >> 32 < keep[tokens[t]]) keptIds[n++] = tokens[t];
                    for (int i = 0; i < n; i++)
                    {
                        int reduced = Below(Next(ref state), window);
                        int from = Math.Max(0, i - window + reduced), to = Math.Min(n - 1, i + window - reduced);
                        int target = keptIds[i];
                        if (skipGram)
                        {
                            for (int j = from; j <= to; j++)
                            {
                                if (j == i) continue;
                                float* context = inputs + (long)keptIds[j] * dims;
                                new Span<float>(gradient, dims).Clear();
                                DrawNegatives(negatives, ref state);
                                NegativeSamplingStep(context, outputs, dims, target, negatives, alpha, gradient);
                                Add(gradient, context, dims);
                            }
                        }
                        else if (to > from)
                        {
                            // CBOW: the mean of the context vectors predicts the word; each context vector takes the whole step.
                            new Span<float>(h, dims).Clear();
                            for (int j = from; j <= to; j++)
                                if (j != i) Add(inputs + (long)keptIds[j] * dims, h, dims);
                            Scale(h, 1f / (to - from), dims);
                            new Span<float>(gradient, dims).Clear();
                            DrawNegatives(negatives, ref state);
                            NegativeSamplingStep(h, outputs, dims, target, negatives, alpha, gradient);
                            for (int j = from; j <= to; j++)
                                if (j != i) Add(gradient, inputs + (long)keptIds[j] * dims, dims);
                        }
                    }
                }
        }
        schedule.Advance(unpublished);
    }

    private void DrawNegatives(int[] negatives, ref ulong state)
    {
        for (int k = 0; k < negatives.Length; k++) negatives[k] = noise.Sample(Next(ref state));
    }

    /// <summary>
    /// One negative-sampling step for hidden vector h and target word o with negatives k: the loss is
    /// −log σ(u_o·h) − Σ log σ(−u_k·h). Moves each output vector u against its gradient (scaled by alpha) and adds
    /// −alpha·∂loss/∂h to <paramref name="hiddenGradient"/> (the caller applies it to the input vectors).
    /// A negative equal to the target is skipped, as in word2vec.
    /// </summary>
    internal static void NegativeSamplingStep(float* hidden, float* output, int dims, int target, ReadOnlySpan<int> negatives,
        float alpha, float* hiddenGradient)
    {
        for (int k = -1; k < negatives.Length; k++)
        {
            int word = k < 0 ? target : negatives[k];
            if (k >= 0 && word == target) continue;
            float* u = output + (long)word * dims;
            float g = ((k < 0 ? 1 : 0) - Sigmoid(Dot(hidden, u, dims))) * alpha;
            // hiddenGradient += g·u with u as it was, then u += g·h: one pass over u.
            int d = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var gv = new Vector<float>(g);
                for (; d <= dims - Vector<float>.Count; d += Vector<float>.Count)
                {
                    var uv = Vector.Load(u + d);
                    Vector.Store(Vector.FusedMultiplyAdd(gv, uv, Vector.Load(hiddenGradient + d)), hiddenGradient + d);
                    Vector.Store(Vector.FusedMultiplyAdd(gv, Vector.Load(hidden + d), uv), u + d);
                }
            }
            for (; d < dims; d++)
            {
                float ud = u[d];
                hiddenGradient[d] += g * ud;
                u[d] = ud + g * hidden[d];
            }
        }
    }

    /// <summary>The span-based entry the gradient test uses.</summary>
    internal static void NegativeSamplingStep(ReadOnlySpan<float> hidden, Span<float> output, int dims, int target,
        ReadOnlySpan<int> negatives, float alpha, Span<float> hiddenGradient)
    {
        fixed (float* h = hidden, u = output, g = hiddenGradient) NegativeSamplingStep(h, u, dims, target, negatives, alpha, g);
    }

    private static float Sigmoid(float x) => x > 30 ? 1 : x < -30 ? 0 : 1 / (1 + MathF.Exp(-x));

    private static float Dot(float* a, float* b, int dims)
    {
        int d = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> even = Vector<float>.Zero, odd = Vector<float>.Zero; // two chains hide the FMA latency
            for (; d <= dims - 2 * Vector<float>.Count; d += 2 * Vector<float>.Count)
            {
                even = Vector.FusedMultiplyAdd(Vector.Load(a + d), Vector.Load(b + d), even);
                odd = Vector.FusedMultiplyAdd(Vector.Load(a + d + Vector<float>.Count), Vector.Load(b + d + Vector<float>.Count), odd);
            }
            for (; d <= dims - Vector<float>.Count; d += Vector<float>.Count)
                even = Vector.FusedMultiplyAdd(Vector.Load(a + d), Vector.Load(b + d), even);
            sum = Vector.Sum(even + odd);
        }
        for (; d < dims; d++) sum += a[d] * b[d];
        return sum;
    }

    /// <summary>to += from.</summary>
    private static void Add(float* from, float* to, int dims)
    {
        int d = 0;
        if (Vector.IsHardwareAccelerated)
            for (; d <= dims - Vector<float>.Count; d += Vector<float>.Count)
                Vector.Store(Vector.Load(to + d) + Vector.Load(from + d), to + d);
        for (; d < dims; d++) to[d] += from[d];
    }

    private static void Scale(float* x, float factor, int dims)
    {
        for (int d = 0; d < dims; d++) x[d] *= factor;
    }

    /// <summary>xorshift64*: cheap, per thread, no shared state.</summary>
    private static ulong Next(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717UL;
    }

    /// <summary>A number in [0, n) from the high 32 random bits, by multiplication instead of a division.</summary>
    private static int Below(ulong random, int n) => (int)(((random >> 32) * (ulong)n) >> 32);
}
