using System.Numerics.Tensors;
using Loom.Formats;
using Loom.Tensors;

namespace Loom.Models.Gpt2;

/// <summary>
/// GPT-2 on GGUF weights (llama.cpp's <c>gpt2</c> tensor names): learned position embeddings, pre-LayerNorm blocks
/// with a fused qkv projection, GELU (tanh form) feed-forward, biases everywhere, multi-head attention over the
/// <see cref="KvCache"/>. Activations stay in f32.
/// </summary>
public sealed class Gpt2Model : ICausalLanguageModel, IDisposable
{
    private sealed record Layer(float[] Norm1, float[] Norm1Bias, WeightMatrix Qkv, float[] QkvBias, WeightMatrix Output, float[] OutputBias,
        float[] Norm2, float[] Norm2Bias, WeightMatrix Up, float[] UpBias, WeightMatrix Down, float[] DownBias);

    private readonly GgufFile? _owned;
    private readonly WeightMatrix _tokens, _positions, _lmHead;
    private readonly float[] _finalNorm, _finalNormBias;
    private readonly Layer[] _layers;
    private readonly int _threads;

    private Gpt2Model(GgufFile file, bool ownsFile, int threads)
    {
        _owned = ownsFile ? file : null;
        _threads = threads;
        var m = file.Metadata;
        if (!m.TryGetString("general.architecture", out var arch) || arch != "gpt2")
            throw new ModelFormatException(file.Path, 0, $"architecture '{arch}' is not gpt2");
        int Int(string key) => m.TryGetValue("gpt2." + key, out var v) && v.AsInt64() is > 0 and <= int.MaxValue and var i
            ? (int)i : throw new ModelFormatException(file.Path, 0, $"metadata key 'gpt2.{key}' is missing or out of range");
        Width = Int("embedding_length");
        Heads = Int("attention.head_count");
        ContextLength = Int("context_length");
        int ff = Int("feed_forward_length"), layers = Int("block_count");
        Epsilon = m.TryGetSingle("gpt2.attention.layer_norm_epsilon", out float eps) ? eps : 1e-5f;
        if (Width % Heads != 0) throw new ModelFormatException(file.Path, 0, $"width {Width} is not a multiple of {Heads} heads");

        _tokens = Weights.Matrix(file, "token_embd.weight", -1, Width);
        VocabularySize = _tokens.Rows;
        _positions = Weights.Matrix(file, "position_embd.weight", ContextLength, Width);
        _lmHead = file.TryGetTensor("output.weight", out _) ? Weights.Matrix(file, "output.weight", VocabularySize, Width) : _tokens;
        _finalNorm = Weights.Vector(file, "output_norm.weight", Width);
        _finalNormBias = Weights.Vector(file, "output_norm.bias", Width);
        _layers = new Layer[layers];
        for (int i = 0; i < layers; i++)
        {
            string p = $"blk.{i}.";
            _layers[i] = new Layer(
                Weights.Vector(file, p + "attn_norm.weight", Width), Weights.Vector(file, p + "attn_norm.bias", Width),
                Weights.Matrix(file, p + "attn_qkv.weight", 3 * Width, Width), Weights.Vector(file, p + "attn_qkv.bias", 3 * Width),
                Weights.Matrix(file, p + "attn_output.weight", Width, Width), Weights.Vector(file, p + "attn_output.bias", Width),
                Weights.Vector(file, p + "ffn_norm.weight", Width), Weights.Vector(file, p + "ffn_norm.bias", Width),
                Weights.Matrix(file, p + "ffn_up.weight", ff, Width), Weights.Vector(file, p + "ffn_up.bias", ff),
                Weights.Matrix(file, p + "ffn_down.weight", Width, ff), Weights.Vector(file, p + "ffn_down.bias", Width));
        }
    }

    public int Width { get; }
    public int Heads { get; }
    public float Epsilon { get; }

    /// <inheritdoc/>
    public int VocabularySize { get; }

    /// <inheritdoc/>
    public int ContextLength { get; }

    /// <summary>Opens a GGUF file (memory-mapped) and checks every tensor's shape.</summary>
    public static Gpt2Model Load(string path, int threads = 0)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new Gpt2Model(file, ownsFile: true, threads);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A model over an open GGUF file, which must outlive it.</summary>
    public static Gpt2Model FromGguf(GgufFile file, int threads = 0) => new(file, ownsFile: false, threads);

    /// <inheritdoc/>
    public KvCache CreateCache(int capacity)
    {
        if (capacity > ContextLength) throw new ArgumentOutOfRangeException(nameof(capacity), $"capacity {capacity} exceeds the context length {ContextLength}");
        return new KvCache(_layers.Length, Width, capacity);
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits, IForwardObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int n = tokens.Length, d = Width, vocab = VocabularySize;
        if (n == 0) throw new ArgumentException("No tokens to run.", nameof(tokens));
        if (cache.Layers != _layers.Length || cache.KvDimension != d) throw new ArgumentException("The cache was made for a different model.", nameof(cache));
        if (logits.Length != vocab && logits.Length != (long)n * vocab)
            throw new ArgumentException($"logits must hold {vocab} (last position) or {n} × {vocab} values, not {logits.Length}.", nameof(logits));
        cache.EnsureRoom(n);
        foreach (int id in tokens)
            if ((uint)id >= (uint)vocab) throw new ArgumentException($"Token {id} is outside the vocabulary of {vocab}.", nameof(tokens));

        int start = cache.Length;
        var x = new float[n * d];
        var position = new float[d];
        for (int t = 0; t < n; t++)
        {
            var row = x.AsSpan(t * d, d);
            Weights.Row(_tokens, tokens[t], row);
            Weights.Row(_positions, start + t, position);
            TensorPrimitives.Add(row, position, row);
        }
        Observe(observer, -1, start, n, x);

        var normed = new float[n * d];
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            Normalization.LayerNorm(x, layer.Norm1, layer.Norm1Bias, Epsilon, normed);
            TensorPrimitives.Add(x, Attend(l, layer, normed, n, start, cache, observer), x);
            Normalization.LayerNorm(x, layer.Norm2, layer.Norm2Bias, Epsilon, normed);
            var hidden = new float[n * layer.Up.Rows];
            MatMul.Multiply(normed, n, layer.Up, layer.UpBias, hidden, _threads);
            Activations.GeluTanh(hidden);
            var down = new float[n * d];
            MatMul.Multiply(hidden, n, layer.Down, layer.DownBias, down, _threads);
            TensorPrimitives.Add(x, down, x);
            Observe(observer, l, start, n, x);
        }
        cache.Commit(tokens);

        int rows = logits.Length / vocab;
        var final = new float[rows * d];
        Normalization.LayerNorm(x.AsSpan((n - rows) * d, rows * d), _finalNorm, _finalNormBias, Epsilon, final);
        MatMul.Multiply(final, rows, _lmHead, logits, _threads);
    }

    private float[] Attend(int l, Layer layer, float[] normed, int n, int start, KvCache cache, IForwardObserver? observer)
    {
        int d = Width, hs = d / Heads;
        var qkv = new float[n * 3 * d];
        MatMul.Multiply(normed, n, layer.Qkv, layer.QkvBias, qkv, _threads);
        float[] keys = cache.KeyArray(l), values = cache.ValueArray(l);
        for (int t = 0; t < n; t++)
        {
            qkv.AsSpan(t * 3 * d + d, d).CopyTo(keys.AsSpan((start + t) * d));
            qkv.AsSpan(t * 3 * d + 2 * d, d).CopyTo(values.AsSpan((start + t) * d));
        }
        var mixed = new float[n * d];
        float scale = 1f / MathF.Sqrt(hs);
        int degree = observer is not null ? 1 : _threads > 0 ? _threads : Environment.ProcessorCount;
        Parallel.For(0, n * Heads, new ParallelOptions { MaxDegreeOfParallelism = degree }, index =>
        {
            int t = index / Heads, h = index % Heads, visible = start + t + 1;
            var query = qkv.AsSpan(t * 3 * d + h * hs, hs);
            var scores = new float[visible];
            for (int p = 0; p < visible; p++) scores[p] = TensorPrimitives.Dot(query, keys.AsSpan(p * d + h * hs, hs)) * scale;
            Softmax.InPlace(scores);
            var output = mixed.AsSpan(t * d + h * hs, hs);
            for (int p = 0; p < visible; p++) TensorPrimitives.MultiplyAdd(values.AsSpan(p * d + h * hs, hs), scores[p], output, output);
            observer?.OnAttention(l, h, start + t, scores);
        });
        var projected = new float[n * d];
        MatMul.Multiply(mixed, n, layer.Output, layer.OutputBias, projected, _threads);
        return projected;
    }

    private void Observe(IForwardObserver? observer, int layer, int start, int n, float[] x)
    {
        if (observer is null) return;
        for (int t = 0; t < n; t++) observer.OnHiddenState(layer, start + t, x.AsSpan(t * Width, Width));
    }

    /// <inheritdoc/>
    public void Dispose() => _owned?.Dispose();
}
