using System.Numerics.Tensors;
using Loom.Formats;
using Loom.Tensors;

namespace Loom.Models.Decoder;

/// <summary>
/// A decoder-only transformer — GPT-2, Llama 2/3, Mistral, Qwen2, Phi-3 — run in managed code on the weights as the
/// file stores them (f32, f16, bf16 or quantized blocks, memory-mapped; the matrix kernels decode them on the fly).
/// <code>
/// using var model = DecoderModel.Load("qwen2.5-0.5b-instruct-q8_0.gguf");
/// var cache = model.CreateCache(512);
/// var logits = new float[model.VocabularySize];
/// model.Forward([9707, 11, 1879], cache, logits);   // next-token logits after the prompt
/// </code>
/// Forward passes of one model run one at a time (they share scratch buffers); use one <see cref="KvCache"/> per sequence.
/// </summary>
public sealed class DecoderModel : ICausalLanguageModel, IDisposable
{
    private readonly DecoderWeights _weights;
    private readonly IDisposable _file;
    private readonly Rope? _rope;
    private readonly DecoderWorkspace _work;
    private readonly Lock _gate = new();
    private readonly float[] _zeros;
    private readonly ActivationRounding _rounding;
    private readonly ActivationRounder _rounder = new();

    private DecoderModel(DecoderConfig config, DecoderWeights weights, IDisposable file, DecoderOptions options)
    {
        Config = config;
        _weights = weights;
        _file = file;
        Threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        _rope = config.RopeDimensions > 0 ? new Rope(config.RopeDimensions, config.RopeTheta, config.RopeLayout, config.RopeScaling) : null;
        _work = new DecoderWorkspace(config, Threads);
        _zeros = new float[config.EmbeddingSize];
        _rounding = options.ActivationRounding;
    }

    /// <summary>The model's shape.</summary>
    public DecoderConfig Config { get; }

    /// <summary>Worker threads used by the forward pass.</summary>
    public int Threads { get; }

    /// <summary>The weight type of the largest matrices (the feed-forward down projection), e.g. Q4_K.</summary>
    public GgmlType WeightType => _weights.Layers[0].Down.Type;

    public int VocabularySize => Config.VocabularySize;

    public int ContextLength => Config.ContextLength;

    /// <summary>
    /// Opens a GGUF file, or a Hugging Face folder (config.json + model.safetensors or a sharded index).
    /// The weights stay memory-mapped until the model is disposed.
    /// </summary>
    /// <exception cref="ModelFormatException">Unsupported architecture, missing tensor, or a tensor whose shape does not
    /// match the configuration.</exception>
    public static DecoderModel Load(string path, DecoderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DecoderOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Threads);
        if (Directory.Exists(path))
        {
            var safetensors = SafetensorsModel.Open(path);
            try
            {
                var (config, weights) = HuggingFaceDecoderLoader.Load(path, safetensors);
                return new DecoderModel(config, weights, safetensors, options);
            }
            catch
            {
                safetensors.Dispose();
                throw;
            }
        }
        var gguf = GgufFile.Open(path);
        try
        {
            var (config, weights) = GgufDecoderLoader.Load(gguf);
            return new DecoderModel(config, weights, gguf, options);
        }
        catch
        {
            gguf.Dispose();
            throw;
        }
    }

    public KvCache CreateCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, ContextLength);
        return new KvCache(Config.Layers, Config.KvDimension, capacity);
    }

    public void Forward(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits, IForwardObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int n = tokens.Length, vocabulary = VocabularySize;
        if (n == 0) throw new ArgumentException("There are no tokens to run.", nameof(tokens));
        foreach (int id in tokens)
            if ((uint)id >= (uint)vocabulary) throw new ArgumentOutOfRangeException(nameof(tokens), id, $"Token {id} is outside the vocabulary of {vocabulary}.");
        if (cache.Layers != Config.Layers || cache.KvDimension != Config.KvDimension)
            throw new ArgumentException($"The cache holds {cache.Layers} layers × {cache.KvDimension}, not this model's {Config.Layers} × {Config.KvDimension}.", nameof(cache));
        bool allPositions = logits.Length == (long)n * vocabulary;
        if (!allPositions && logits.Length != vocabulary)
            throw new ArgumentException($"The logits span must hold {vocabulary} (last position) or {(long)n * vocabulary} (every position) values, not {logits.Length}.", nameof(logits));
        cache.EnsureRoom(n);
        int start = cache.Length;
        if (start + n > ContextLength) throw new ContextOverflowException(start + n, ContextLength);

        lock (_gate)
        {
            _work.Ensure(n, cache.Capacity);
            Embed(tokens, start, n);
            if (observer is not null) ObserveHidden(observer, -1, start, n);
            for (int l = 0; l < Config.Layers; l++)
            {
                Attention(l, cache, start, n, observer);
                FeedForward(_weights.Layers[l], n);
                if (observer is not null) ObserveHidden(observer, l, start, n);
            }
            if (allPositions) Project(_work.Residual.AsSpan(0, n * Config.EmbeddingSize), n, logits);
            else Project(_work.Residual.AsSpan((n - 1) * Config.EmbeddingSize, Config.EmbeddingSize), 1, logits);
        }
        cache.Commit(tokens);
    }

    /// <summary>
    /// The logit lens: applies the final norm and the output head to any residual-stream vector (e.g. a layer's hidden
    /// state from <see cref="IForwardObserver.OnHiddenState"/>), giving the vocabulary logits that layer "has in mind".
    /// </summary>
    public void ProjectToVocabulary(ReadOnlySpan<float> hidden, Span<float> logits)
    {
        if (hidden.Length != Config.EmbeddingSize) throw new ArgumentException($"A hidden state has {Config.EmbeddingSize} values, not {hidden.Length}.", nameof(hidden));
        if (logits.Length != VocabularySize) throw new ArgumentException($"The logits span must hold {VocabularySize} values.", nameof(logits));
        Project(hidden, 1, logits, new float[Config.EmbeddingSize]);
    }

    private void Project(ReadOnlySpan<float> hidden, int rows, Span<float> logits) =>
        Project(hidden, rows, logits, _work.Normed.AsSpan(0, rows * Config.EmbeddingSize));

    private void Project(ReadOnlySpan<float> hidden, int rows, Span<float> logits, Span<float> normed)
    {
        Norm(hidden, _weights.OutputNorm, _weights.OutputNormBias, normed);
        Linear(normed, rows, _weights.Output, null, logits);
    }

    private void Embed(ReadOnlySpan<int> tokens, int start, int n)
    {
        int d = Config.EmbeddingSize;
        var embedding = _weights.TokenEmbedding;
        var position = _weights.PositionEmbedding;
        for (int t = 0; t < n; t++)
        {
            var row = _work.Residual.AsSpan(t * d, d);
            Quantization.Dequantize(embedding.Type, embedding.Data.Span.Slice(tokens[t] * embedding.RowBytes, embedding.RowBytes), row);
            if (position is null) continue;
            var p = _work.Normed.AsSpan(0, d);
            Quantization.Dequantize(position.Type, position.Data.Span.Slice((start + t) * position.RowBytes, position.RowBytes), p);
            TensorPrimitives.Add(row, p, row);
        }
    }

    private void Attention(int layer, KvCache cache, int start, int n, IForwardObserver? observer)
    {
        var w = _weights.Layers[layer];
        int d = Config.EmbeddingSize, qDim = Config.QueryDimension, kvDim = Config.KvDimension;
        var x = _work.Residual.AsSpan(0, n * d);
        var h = _work.Normed.AsSpan(0, n * d);
        Norm(x, w.AttentionNorm, w.AttentionNormBias, h);

        var queries = _work.Queries.AsSpan(0, n * qDim);
        var keys = cache.Keys(layer).Slice(start * kvDim, n * kvDim);
        var values = cache.Values(layer).Slice(start * kvDim, n * kvDim);
        if (w.Qkv is not null)
        {
            int width = qDim + 2 * kvDim;
            var qkv = _work.Qkv.AsSpan(0, n * width);
            Linear(h, n, w.Qkv, w.QkvBias, qkv);
            for (int t = 0; t < n; t++)
            {
                var row = qkv.Slice(t * width, width);
                row[..qDim].CopyTo(queries.Slice(t * qDim, qDim));
                row.Slice(qDim, kvDim).CopyTo(keys.Slice(t * kvDim, kvDim));
                row.Slice(qDim + kvDim, kvDim).CopyTo(values.Slice(t * kvDim, kvDim));
            }
        }
        else
        {
            Linear(h, n, w.Query!, w.QueryBias, queries);
            Linear(h, n, w.Key!, w.KeyBias, keys);
            Linear(h, n, w.Value!, w.ValueBias, values);
        }
        if (_rope is not null)
        {
            _rope.Apply(queries, n, Config.Heads, Config.HeadSize, start);
            _rope.Apply(keys, n, Config.KvHeads, Config.HeadSize, start);
        }

        DecoderAttention.Run(Config, layer, _work.Queries, cache.Keys(layer), cache.Values(layer), start, n,
            _work.Attended, _work.Scores, Threads, observer);
        var projected = _work.Projected.AsSpan(0, n * d);
        Linear(_work.Attended.AsSpan(0, n * qDim), n, w.AttentionOutput, w.AttentionOutputBias, projected);
        TensorPrimitives.Add(x, projected, x);
    }

    private void FeedForward(DecoderLayerWeights w, int n)
    {
        int d = Config.EmbeddingSize, ff = Config.FeedForwardSize;
        var x = _work.Residual.AsSpan(0, n * d);
        var h = _work.Normed.AsSpan(0, n * d);
        Norm(x, w.FeedForwardNorm, w.FeedForwardNormBias, h);
        var hidden = _work.Hidden.AsSpan(0, n * ff);
        switch (Config.Architecture)
        {
            case DecoderArchitecture.Gpt2:
                Linear(h, n, w.Up, w.UpBias, hidden);
                Gelu(hidden, w.Down);
                break;
            case DecoderArchitecture.Phi3:
                var gateUp = _work.Hidden.AsSpan(0, n * 2 * ff);
                Linear(h, n, w.Up, null, gateUp);
                // Row t holds gate | up; the product is packed into rows of ff in place (row t moves left, never over unread data).
                for (int t = 0; t < n; t++)
                {
                    var gate = gateUp.Slice(t * 2 * ff, ff);
                    Activations.SiluMultiply(gate, gateUp.Slice(t * 2 * ff + ff, ff));
                    gate.CopyTo(hidden.Slice(t * ff, ff));
                }
                break;
            default:
                var up = _work.Hidden2.AsSpan(0, n * ff);
                Linear(h, n, w.Gate!, null, hidden);
                Linear(h, n, w.Up, w.UpBias, up);
                Activations.SiluMultiply(hidden, up);
                break;
        }
        var projected = _work.Projected.AsSpan(0, n * d);
        Linear(hidden, n, w.Down, w.DownBias, projected);
        TensorPrimitives.Add(x, projected, x);
    }

    /// <summary>y = x · Wᵀ + bias, the activations first rounded as <see cref="ActivationRounding"/> asks.</summary>
    private void Linear(ReadOnlySpan<float> x, int rows, WeightMatrix w, float[]? bias, Span<float> y)
    {
        if (_rounding == ActivationRounding.None) MatMul.Multiply(x, rows, w, bias, y, Threads);
        else if (Int8MatMul.Supports(w.Type)) Int8MatMul.Multiply(x, rows, w, bias, y, Threads);
        else if (_rounding == ActivationRounding.LlamaCpp && ActivationRounder.RoundingType(w.Type) is GgmlType type)
            MatMul.Multiply(_rounder.Round(x, rows, w.Cols, type), rows, w, bias, y, Threads);
        else MatMul.Multiply(x, rows, w, bias, y, Threads);
    }

    /// <summary>GELU through llama.cpp's f16 table when asked, or when its output is about to be rounded to 8 bits for
    /// the down projection anyway (then the table's rounding is what keeps Loom on llama.cpp's numbers).</summary>
    private void Gelu(Span<float> x, WeightMatrix down)
    {
        if (_rounding == ActivationRounding.LlamaCpp || (_rounding == ActivationRounding.Int8 && Int8MatMul.Supports(down.Type)))
            ActivationRounder.GeluThroughHalf(x);
        else Activations.GeluTanh(x);
    }

    private void Norm(ReadOnlySpan<float> x, float[] weight, float[]? bias, Span<float> y)
    {
        if (Config.UsesLayerNorm) Normalization.LayerNorm(x, weight, bias ?? _zeros, Config.NormEpsilon, y);
        else Normalization.RmsNorm(x, weight, Config.NormEpsilon, y);
    }

    private void ObserveHidden(IForwardObserver observer, int layer, int start, int n)
    {
        int d = Config.EmbeddingSize;
        for (int t = 0; t < n; t++) observer.OnHiddenState(layer, start + t, _work.Residual.AsSpan(t * d, d));
    }

    public void Dispose() => _file.Dispose();
}
