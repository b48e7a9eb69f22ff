using System.Security.Cryptography;

namespace Loom.Generation;

/// <summary>
/// Chooses next tokens from logits with <see cref="SamplingOptions"/>, keeping the recent-token window the
/// penalties need and its own seeded random generator. One sampler per sequence; not thread-safe.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly SeededRandom _random;
    private readonly Queue<int> _window = new();
    private readonly Dictionary<int, int> _counts = [];
    private int[] _ids = [];
    private float[] _logits = [];
    private float[] _sortKeys = [];
    private double[] _weights = [];
    private int[]? _head;

    /// <summary>A sampler for one sequence.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Sampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _random = new SeededRandom(options.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
    }

    /// <summary>The options this sampler applies.</summary>
    public SamplingOptions Options => _options;

    /// <summary>Records a token of the sequence (prompt or generated) for the penalties.</summary>
    public void Accept(int tokenId)
    {
        bool penalised = _options.RepetitionPenalty != 1 || _options.FrequencyPenalty != 0 || _options.PresencePenalty != 0;
        if (_options.PenaltyWindow == 0 || !penalised) return;
        _window.Enqueue(tokenId);
        _counts[tokenId] = _counts.GetValueOrDefault(tokenId) + 1;
        if (_window.Count > _options.PenaltyWindow)
        {
            int old = _window.Dequeue();
            if (--_counts[old] == 0) _counts.Remove(old);
        }
    }

    /// <summary>Forgets the recorded tokens (the random generator keeps its position).</summary>
    public void ResetHistory()
    {
        _window.Clear();
        _counts.Clear();
    }

    /// <summary>Chooses the next token. Does not <see cref="Accept"/> it.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int count = Filter(logits, out bool greedy);
        if (greedy) return _ids[0];

        Span<double> weights = Weights(count);
        double total = 0;
        foreach (double w in weights) total += w;
        double target = _random.NextDouble() * total;
        double running = 0;
        for (int i = 0; i < count; i++)
        {
            running += weights[i];
            if (running > target) return _ids[i];
        }
        return _ids[count - 1]; // only reachable through rounding at the very top of the range
    }

    /// <summary>
    /// The distribution <see cref="Sample"/> draws from for these logits, most likely first
    /// (tokens filtered out are absent). Useful to look inside sampling.
    /// </summary>
    public IReadOnlyList<TokenProbability> Distribution(ReadOnlySpan<float> logits)
    {
        int count = Filter(logits, out bool greedy);
        if (greedy) return [new TokenProbability(_ids[0], 1)];
        Span<double> weights = Weights(count);
        double total = 0;
        foreach (double w in weights) total += w;
        var result = new TokenProbability[count];
        for (int i = 0; i < count; i++) result[i] = new TokenProbability(_ids[i], weights[i] / total);
        Array.Sort(result, (a, b) => b.Probability.CompareTo(a.Probability) is var c and not 0 ? c : a.TokenId.CompareTo(b.TokenId));
        return result;
    }

    /// <summary>
    /// Applies bias, penalties, top-k, top-p and min-p; leaves the surviving candidates in _ids/_logits[0..count)
    /// with the temperature applied. Greedy leaves the single best token in _ids[0].
    /// </summary>
    private int Filter(ReadOnlySpan<float> logits, out bool greedy)
    {
        int n = logits.Length;
        if (n == 0) throw new ArgumentException("No logits to sample from.", nameof(logits));
        if (_ids.Length < n)
        {
            _ids = new int[n];
            _logits = new float[n];
            _sortKeys = new float[n];
            _weights = new double[n];
        }
        logits.CopyTo(_logits);
        for (int i = 0; i < n; i++) _ids[i] = i;

        ApplyBias(n);
        ApplyPenalties();

        greedy = _options.Temperature <= 0;
        if (greedy)
        {
            _ids[0] = ArgMax(_logits.AsSpan(0, n));
            return 1;
        }

        int count = n;
        bool sorted = false;
        if (_options.TopK > 0 && _options.TopK < count)
        {
            count = KeepTopK(count, _options.TopK);
            sorted = true;
        }
        if (_options.TopP < 1)
        {
            if (!sorted && count > 1024 && TryTopPFromHead(count, _options.TopP, out int kept)) count = kept;
            else
            {
                if (!sorted) SortDescending(count);
                count = KeepTopP(count, _options.TopP);
            }
        }
        if (_options.MinP > 0) count = KeepMinP(count, _options.MinP);

        float t = _options.Temperature;
        for (int i = 0; i < count; i++) _logits[i] /= t;
        return count;
    }

    private void ApplyBias(int n)
    {
        if (_options.LogitBias is null) return;
        foreach (var (id, bias) in _options.LogitBias)
        {
            if ((uint)id >= (uint)n)
                throw new ArgumentException($"Logit bias names token {id}, outside the vocabulary of {n}.");
            _logits[id] += bias;
        }
    }

    private void ApplyPenalties()
    {
        float repeat = _options.RepetitionPenalty, frequency = _options.FrequencyPenalty, presence = _options.PresencePenalty;
        if (repeat == 1 && frequency == 0 && presence == 0) return;
        foreach (var (id, occurrences) in _counts)
        {
            if ((uint)id >= (uint)_logits.Length) continue;
            ref float logit = ref _logits[id];
            logit = logit <= 0 ? logit * repeat : logit / repeat;
            logit -= occurrences * frequency + presence;
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>Keeps the k largest logits, sorted descending, at the front.</summary>
    private int KeepTopK(int count, int k)
    {
        Span<int> best = k <= 1024 ? stackalloc int[k] : new int[k];
        SelectTop(count, best);
        Gather(best);
        return k;
    }

    /// <summary>Indices of the best.Length largest logits among the first count, best first (a min-heap pass).</summary>
    private void SelectTop(int count, Span<int> best)
    {
        int k = best.Length;
        // Heap ordered by ascending quality: the root is the weakest of the best k so far.
        for (int i = 0; i < k; i++) { best[i] = i; SiftUp(best, i); }
        for (int i = k; i < count; i++)
        {
            if (!Better(i, best[0])) continue;
            best[0] = i;
            SiftDown(best, 0, k);
        }
        // Heap-sort in place: repeatedly move the weakest to the end.
        for (int size = k - 1; size > 0; size--)
        {
            (best[0], best[size]) = (best[size], best[0]);
            SiftDown(best, 0, size);
        }
    }

    /// <summary>Moves the candidates at <paramref name="indices"/> (in that order) to the front.</summary>
    private void Gather(ReadOnlySpan<int> indices)
    {
        // _sortKeys and _weights are free scratch here.
        Span<float> values = _sortKeys.AsSpan(0, indices.Length);
        Span<int> ids = indices.Length <= 1024 ? stackalloc int[indices.Length] : new int[indices.Length];
        for (int i = 0; i < indices.Length; i++) { ids[i] = _ids[indices[i]]; values[i] = _logits[indices[i]]; }
        ids.CopyTo(_ids);
        values.CopyTo(_logits);
    }

    /// <summary>
    /// Top-p over a large unsorted vocabulary without sorting it all (llama.cpp's trick): the nucleus almost always
    /// lies within the best few hundred tokens, so try the best 256, then 4096, and only then sort everything.
    /// </summary>
    private bool TryTopPFromHead(int count, float p, out int kept)
    {
        Span<double> weights = Weights(count);
        double total = 0;
        foreach (double w in weights) total += w;
        Span<int> scratch = _head ??= new int[4096];
        foreach (int head in (ReadOnlySpan<int>)[256, 4096])
        {
            if (head * 4 > count) break;
            Span<int> best = scratch[..head];
            SelectTop(count, best);
            double cumulative = 0;
            for (int i = 0; i < head; i++)
            {
                cumulative += weights[best[i]] / total;
                if (cumulative >= p)
                {
                    kept = i + 1;
                    Gather(best[..kept]);
                    return true;
                }
            }
        }
        kept = count;
        return false;
    }

    // "Better" = larger logit, ties broken towards the lower token id so results do not depend on the heap.
    private bool Better(int a, int b) => _logits[a] > _logits[b] || (_logits[a] == _logits[b] && _ids[a] < _ids[b]);

    private void SiftUp(Span<int> heap, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(heap[parent], heap[i])) break;
            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private void SiftDown(Span<int> heap, int i, int size)
    {
        while (true)
        {
            int left = 2 * i + 1, right = left + 1, weakest = i;
            if (left < size && Better(heap[weakest], heap[left])) weakest = left;
            if (right < size && Better(heap[weakest], heap[right])) weakest = right;
            if (weakest == i) return;
            (heap[weakest], heap[i]) = (heap[i], heap[weakest]);
            i = weakest;
        }
    }

    private void SortDescending(int count)
    {
        for (int i = 0; i < count; i++) _sortKeys[i] = -_logits[i];
        Array.Sort(_sortKeys, _ids, 0, count);
        for (int i = 0; i < count; i++) _logits[i] = -_sortKeys[i];
    }

    /// <summary>Keeps the shortest sorted prefix whose probability (softmax over the candidates) reaches p.</summary>
    private int KeepTopP(int count, float p)
    {
        Span<double> weights = Weights(count);
        double total = 0;
        foreach (double w in weights) total += w;
        double cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += weights[i] / total;
            if (cumulative >= p) return i + 1;
        }
        return count;
    }

    /// <summary>Keeps tokens whose probability is at least minP × the best one's, i.e. logit ≥ max + ln(minP).</summary>
    private int KeepMinP(int count, float minP)
    {
        float max = _logits[0];
        for (int i = 1; i < count; i++) max = Math.Max(max, _logits[i]);
        float threshold = max + MathF.Log(minP);
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (_logits[i] < threshold) continue;
            _ids[kept] = _ids[i];
            _logits[kept] = _logits[i];
            kept++;
        }
        return kept;
    }

    /// <summary>Unnormalised softmax weights exp(logit − max) of the first <paramref name="count"/> candidates.</summary>
    private Span<double> Weights(int count)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < count; i++) max = Math.Max(max, _logits[i]);
        if (float.IsNegativeInfinity(max) || float.IsNaN(max))
            throw new InvalidOperationException("The logits contain NaN, or every candidate token has a logit of −∞; nothing can be sampled.");
        Span<double> weights = _weights.AsSpan(0, count);
        for (int i = 0; i < count; i++) weights[i] = Math.Exp((double)_logits[i] - max);
        return weights;
    }
}
