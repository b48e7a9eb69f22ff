using System.Numerics.Tensors;
using Loom.Formats;
using Loom.Tensors;

namespace Loom.Models.Llama;

/// <summary>
/// The Llama-family decoder (Llama 2/3, Mistral, Qwen2 with q/k/v biases, Phi-3 with fused qkv and gate-up)
/// running on GGUF weights in their file type: RMSNorm, rotary embeddings, grouped-query attention over the
/// <see cref="KvCache"/>, SwiGLU feed-forward. Activations stay in f32.
/// </summary>
public sealed class LlamaModel : ICausalLanguageModel, IDisposable
{
    private sealed record Layer(
        float[] AttentionNorm, WeightMatrix? Qkv, WeightMatrix? Q, WeightMatrix? K, WeightMatrix? V,
        float[] QBias, float[] KBias, float[] VBias, WeightMatrix Output,
        float[] FeedForwardNorm, WeightMatrix? Gate, WeightMatrix Up, WeightMatrix Down);

    private readonly GgufFile? _owned;
    private readonly WeightMatrix _embedding;
    private readonly Layer[] _layers;
    private readonly float[] _outputNorm;
    private readonly WeightMatrix _lmHead;
    private readonly Rope _rope;
    private readonly int _threads;

    private LlamaModel(LlamaConfig config, GgufFile file, bool ownsFile, int threads)
    {
        Config = config;
        _owned = ownsFile ? file : null;
        _threads = threads;
        int d = config.EmbeddingLength, kv = config.KvDimension, ff = config.FeedForwardLength;
        _embedding = Matrix(file, "token_embd.weight", config.VocabularySize, d);
        _outputNorm = Vector(file, "output_norm.weight", d);
        _lmHead = file.TryGetTensor("output.weight", out _) ? Matrix(file, "output.weight", config.VocabularySize, d) : _embedding;
        // Llama 3.1/3.2 files carry their frequency scaling as per-pair factors.
        var factors = file.TryGetTensor("rope_freqs.weight", out _) ? Vector(file, "rope_freqs.weight", config.RopeDimensions / 2) : null;
        _rope = new Rope(config.RopeDimensions, config.RopeTheta, config.RopeLayout,
            factors is null ? null : new RopeFrequencyFactors(config.RopeTheta, config.RopeDimensions, factors));
        _layers = new Layer[config.Layers];
        for (int i = 0; i < config.Layers; i++)
        {
            string p = $"blk.{i}.";
            bool fusedQkv = file.TryGetTensor(p + "attn_qkv.weight", out _);
            bool fusedGateUp = !file.TryGetTensor(p + "ffn_gate.weight", out _);
            _layers[i] = new Layer(
                Vector(file, p + "attn_norm.weight", d),
                fusedQkv ? Matrix(file, p + "attn_qkv.weight", d + 2 * kv, d) : null,
                fusedQkv ? null : Matrix(file, p + "attn_q.weight", d, d),
                fusedQkv ? null : Matrix(file, p + "attn_k.weight", kv, d),
                fusedQkv ? null : Matrix(file, p + "attn_v.weight", kv, d),
                OptionalVector(file, p + "attn_q.bias", d),
                OptionalVector(file, p + "attn_k.bias", kv),
                OptionalVector(file, p + "attn_v.bias", kv),
                Matrix(file, p + "attn_output.weight", d, d),
                Vector(file, p + "ffn_norm.weight", d),
                fusedGateUp ? null : Matrix(file, p + "ffn_gate.weight", ff, d),
                Matrix(file, p + "ffn_up.weight", fusedGateUp ? 2 * ff : ff, d),
                Matrix(file, p + "ffn_down.weight", d, ff));
        }
    }

    /// <summary>The hyper-parameters.</summary>
    public LlamaConfig Config { get; }

    /// <inheritdoc/>
    public int VocabularySize => Config.VocabularySize;

    /// <inheritdoc/>
    public int ContextLength => Config.ContextLength;

    /// <summary>Opens a GGUF file (memory-mapped; weights are not copied) and checks every tensor's shape.</summary>
    /// <exception cref="ModelFormatException">Unsupported architecture, missing tensor or wrong shape.</exception>
    public static LlamaModel Load(string path, int threads = 0)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new LlamaModel(LlamaConfig.FromGguf(file), file, ownsFile: true, threads);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A model over an open GGUF file, which must outlive it.</summary>
    public static LlamaModel FromGguf(GgufFile file, int threads = 0) => new(LlamaConfig.FromGguf(file), file, ownsFile: false, threads);

    /// <inheritdoc/>
    public KvCache CreateCache(int capacity)
    {
        if (capacity > ContextLength) throw new ArgumentOutOfRangeException(nameof(capacity), $"capacity {capacity} exceeds the context length {ContextLength}");
        return new KvCache(Config.Layers, Config.KvDimension, capacity);
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits, IForwardObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int n = tokens.Length, d = Config.EmbeddingLength, vocab = VocabularySize;
        if (n == 0) throw new ArgumentException("No tokens to run.", nameof(tokens));
        if (cache.Layers != Config.Layers || cache.KvDimension != Config.KvDimension)
            throw new ArgumentException("The cache was made for a different model.", nameof(cache));
        if (logits.Length != vocab && logits.Length != (long)n * vocab)
            throw new ArgumentException($"logits must hold {vocab} (last position) or {n} × {vocab} values, not {logits.Length}.", nameof(logits));
        cache.EnsureRoom(n);
        foreach (int id in tokens)
            if ((uint)id >= (uint)vocab) throw new ArgumentException($"Token {id} is outside the vocabulary of {vocab}.", nameof(tokens));

        int start = cache.Length;
        var x = new float[n * d];
        for (int t = 0; t < n; t++) Weights.Row(_embedding, tokens[t], x.AsSpan(t * d, d));
        Observe(observer, -1, start, n, x);

        var normed = new float[n * d];
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            Normalization.RmsNorm(x, layer.AttentionNorm, Config.RmsEpsilon, normed);
            var attention = Attend(l, layer, normed, n, start, cache, observer);
            TensorPrimitives.Add(x, attention, x);

            Normalization.RmsNorm(x, layer.FeedForwardNorm, Config.RmsEpsilon, normed);
            TensorPrimitives.Add(x, FeedForward(layer, normed, n), x);
            Observe(observer, l, start, n, x);
        }
        cache.Commit(tokens);

        int rows = logits.Length / vocab;
        var last = x.AsSpan((n - rows) * d, rows * d);
        var final = new float[rows * d];
        Normalization.RmsNorm(last, _outputNorm, Config.RmsEpsilon, final);
        MatMul.Multiply(final, rows, _lmHead, logits, _threads);
    }

    private float[] Attend(int l, Layer layer, float[] normed, int n, int start, KvCache cache, IForwardObserver? observer)
    {
        int d = Config.EmbeddingLength, kvd = Config.KvDimension, hs = Config.HeadSize, heads = Config.Heads, kvHeads = Config.KvHeads;
        var q = new float[n * d];
        var k = new float[n * kvd];
        var v = new float[n * kvd];
        if (layer.Qkv is { } qkv)
        {
            var fused = new float[n * (d + 2 * kvd)];
            MatMul.Multiply(normed, n, qkv, fused, _threads);
            for (int t = 0; t < n; t++)
            {
                var row = fused.AsSpan(t * (d + 2 * kvd));
                row[..d].CopyTo(q.AsSpan(t * d));
                row.Slice(d, kvd).CopyTo(k.AsSpan(t * kvd));
                row.Slice(d + kvd, kvd).CopyTo(v.AsSpan(t * kvd));
            }
        }
        else
        {
            MatMul.Multiply(normed, n, layer.Q!, layer.QBias, q, _threads);
            MatMul.Multiply(normed, n, layer.K!, layer.KBias, k, _threads);
            MatMul.Multiply(normed, n, layer.V!, layer.VBias, v, _threads);
        }
        _rope.Apply(q, n, heads, hs, start);
        _rope.Apply(k, n, kvHeads, hs, start);
        k.CopyTo(cache.Keys(l).Slice(start * kvd, n * kvd));
        v.CopyTo(cache.Values(l).Slice(start * kvd, n * kvd));

        float[] keys = cache.KeyArray(l), values = cache.ValueArray(l);
        var mixed = new float[n * d];
        float scale = 1f / MathF.Sqrt(hs);
        int group = heads / kvHeads;
        // Observers see heads one at a time, in order; otherwise heads and tokens run in parallel.
        int degree = observer is not null ? 1 : _threads > 0 ? _threads : Environment.ProcessorCount;
        var options = new ParallelOptions { MaxDegreeOfParallelism = degree };
        Parallel.For(0, n * heads, options, index =>
        {
            int t = index / heads, h = index % heads, kvh = h / group, visible = start + t + 1;
            var query = q.AsSpan(index * hs, hs);
            var scores = new float[visible];
            for (int p = 0; p < visible; p++)
                scores[p] = TensorPrimitives.Dot(query, keys.AsSpan(p * kvd + kvh * hs, hs)) * scale;
            Softmax.InPlace(scores);
            var output = mixed.AsSpan(index * hs, hs);
            for (int p = 0; p < visible; p++)
                TensorPrimitives.MultiplyAdd(values.AsSpan(p * kvd + kvh * hs, hs), scores[p], output, output);
            observer?.OnAttention(l, h, start + t, scores);
        });
        var projected = new float[n * d];
        MatMul.Multiply(mixed, n, layer.Output, projected, _threads);
        return projected;
    }

    private float[] FeedForward(Layer layer, float[] normed, int n)
    {
        int d = Config.EmbeddingLength, ff = Config.FeedForwardLength;
        var gate = new float[n * ff];
        var up = new float[n * ff];
        if (layer.Gate is { } gateWeights)
        {
            MatMul.Multiply(normed, n, gateWeights, gate, _threads);
            MatMul.Multiply(normed, n, layer.Up, up, _threads);
        }
        else
        {
            // Phi-3: one matrix gives [gate | up] per token.
            var fused = new float[n * 2 * ff];
            MatMul.Multiply(normed, n, layer.Up, fused, _threads);
            for (int t = 0; t < n; t++)
            {
                fused.AsSpan(t * 2 * ff, ff).CopyTo(gate.AsSpan(t * ff));
                fused.AsSpan(t * 2 * ff + ff, ff).CopyTo(up.AsSpan(t * ff));
            }
        }
        Activations.SiluMultiply(gate, up);
        var down = new float[n * d];
        MatMul.Multiply(gate, n, layer.Down, down, _threads);
        return down;
    }

    private void Observe(IForwardObserver? observer, int layer, int start, int n, float[] x)
    {
        if (observer is null) return;
        int d = Config.EmbeddingLength;
        for (int t = 0; t < n; t++) observer.OnHiddenState(layer, start + t, x.AsSpan(t * d, d));
    }

    private static WeightMatrix Matrix(GgufFile file, string name, int rows, int cols) => Weights.Matrix(file, name, rows, cols);

    private static float[] Vector(GgufFile file, string name, int length) => Weights.Vector(file, name, length);

    private static float[] OptionalVector(GgufFile file, string name, int length) =>
        file.TryGetTensor(name, out _) ? Vector(file, name, length) : [];

    /// <inheritdoc/>
    public void Dispose() => _owned?.Dispose();
}
