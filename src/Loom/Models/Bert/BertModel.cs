using System.Numerics.Tensors;
using Loom.Formats;
using Loom.Tensors;

namespace Loom.Models.Bert;

/// <summary>
/// A BERT-family encoder (BERT, MiniLM, arctic-embed): token + position + token-type embeddings with LayerNorm,
/// then post-LayerNorm blocks of multi-head self-attention and a GELU feed-forward network.
/// Immutable once loaded and safe to share between threads; each call to <see cref="Run"/> uses its own
/// <see cref="BertWorkspace"/>.
/// </summary>
public sealed class BertModel
{
    private readonly float[] _wordEmbeddings, _positionEmbeddings, _typeEmbeddings, _embeddingNormWeight, _embeddingNormBias;
    private readonly BertLayer[] _layers;

    private BertModel(BertConfig config, float[] word, float[] position, float[] type, float[] normWeight, float[] normBias, BertLayer[] layers)
    {
        Config = config;
        _wordEmbeddings = word;
        _positionEmbeddings = position;
        _typeEmbeddings = type;
        _embeddingNormWeight = normWeight;
        _embeddingNormBias = normBias;
        _layers = layers;
    }

    public BertConfig Config { get; }

    /// <summary>Loads the weights of an ONNX export of a BERT model (e.g. the packaged MiniLM and arctic-xs graphs).</summary>
    /// <exception cref="ModelFormatException">the file is not an ONNX BERT graph Loom recognises</exception>
    public static BertModel FromOnnx(string path)
    {
        using var onnx = OnnxModel.Open(path);
        var source = new BertOnnxSource(onnx, path);
        return Build(source.Config, source);
    }

    /// <summary>Weight type of the feed-forward and attention-output layers (F32 as loaded; e.g. Q8_0 after <see cref="Quantize"/>).</summary>
    public GgmlType LinearWeightType => _layers[0].IntermediateWeight.Type;

    /// <summary>
    /// A copy whose attention-output and feed-forward layers hold <paramref name="type"/> weights (e.g. Q8_0: int8 with
    /// one f32 scale per 32 weights, a quarter of the memory). Q8_0 and Q4_0 run on <see cref="Int8MatMul"/> (activations
    /// rounded to Q8_0 blocks, integer dot products); other types are decoded inside the f32 GEMM. The query/key/value
    /// projection stays f32: attention scores are the most sensitive to rounding (with it in Q8_0 as well, the worst of
    /// 1,024 fortunes falls from cosine 0.9993 to 0.9985 against f32). Embeddings, biases and LayerNorm stay f32.
    /// </summary>
    public BertModel Quantize(GgmlType type)
    {
        if (!Quantization.IsSupported(type)) throw new NotSupportedException($"Loom cannot quantize to {type}");
        int block = GgmlTypes.BlockSize(type);
        if (Config.HiddenSize % block != 0 || Config.IntermediateSize % block != 0)
            throw new NotSupportedException($"{type} needs rows in blocks of {block}; this model's layers are {Config.HiddenSize} and {Config.IntermediateSize} wide");
        WeightMatrix Convert(WeightMatrix w)
        {
            var values = new float[(long)w.Rows * w.Cols];
            Quantization.Dequantize(w.Type, w.Data.Span, values);
            return new WeightMatrix(type, w.Rows, w.Cols, Quantization.Quantize(type, values)) { PackForRepeatedProducts = true };
        }
        var layers = _layers.Select(l => l with
        {
            OutputWeight = Convert(l.OutputWeight),
            IntermediateWeight = Convert(l.IntermediateWeight),
            FfnOutputWeight = Convert(l.FfnOutputWeight),
        }).ToArray();
        return new BertModel(Config, _wordEmbeddings, _positionEmbeddings, _typeEmbeddings, _embeddingNormWeight, _embeddingNormBias, layers);
    }

    /// <summary>Loads a Hugging Face BERT folder: config.json and model.safetensors.</summary>
    /// <exception cref="ModelFormatException">missing or malformed files, or not a BERT encoder</exception>
    public static BertModel FromHuggingFace(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        var weightsPath = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"no config.json in {directory}", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"no model.safetensors in {directory}", weightsPath);
        var config = BertSafetensorsSource.ReadConfig(HuggingFaceConfig.Load(configPath), configPath);
        using var weights = SafetensorsFile.Open(weightsPath);
        return Build(config, new BertSafetensorsSource(weights));
    }

    internal static BertModel Build(BertConfig config, IBertTensorSource source)
    {
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(source.Description, e.Message);
        }
        int d = config.HiddenSize, inter = config.IntermediateSize;
        float[] Get(string name, params long[] shape)
        {
            var tensor = source.Find(name) ?? throw new ModelFormatException(source.Description, $"missing tensor '{name}'");
            if (!tensor.Shape.SequenceEqual(shape))
                throw new ModelFormatException(source.Description, $"tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", shape)}]");
            return tensor.Data;
        }
        WeightMatrix Linear(string name, int rows, int cols) => WeightMatrix.FromFloats(Get(name + ".weight", rows, cols), rows, cols);

        var layers = new BertLayer[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            string p = $"encoder.layer.{l}.";
            float[] q = Get(p + "attention.self.query.weight", d, d), k = Get(p + "attention.self.key.weight", d, d), v = Get(p + "attention.self.value.weight", d, d);
            layers[l] = new BertLayer(
                WeightMatrix.FromFloats([.. q, .. k, .. v], 3 * d, d),
                [.. Get(p + "attention.self.query.bias", d), .. Get(p + "attention.self.key.bias", d), .. Get(p + "attention.self.value.bias", d)],
                Linear(p + "attention.output.dense", d, d), Get(p + "attention.output.dense.bias", d),
                Get(p + "attention.output.LayerNorm.weight", d), Get(p + "attention.output.LayerNorm.bias", d),
                Linear(p + "intermediate.dense", inter, d), Get(p + "intermediate.dense.bias", inter),
                Linear(p + "output.dense", d, inter), Get(p + "output.dense.bias", d),
                Get(p + "output.LayerNorm.weight", d), Get(p + "output.LayerNorm.bias", d));
        }
        return new BertModel(config,
            Get("embeddings.word_embeddings.weight", config.VocabSize, d),
            Get("embeddings.position_embeddings.weight", config.MaxPositions, d),
            Get("embeddings.token_type_embeddings.weight", config.TypeVocabSize, d),
            Get("embeddings.LayerNorm.weight", d), Get("embeddings.LayerNorm.bias", d),
            layers);
    }

    /// <summary>
    /// Encodes a batch of token-id sequences (each with its special tokens, e.g. [CLS] … [SEP]). Sequences are packed
    /// end to end — no padding — and each attends only to itself. The last hidden states are left in
    /// <paramref name="workspace"/>: <see cref="BertWorkspace.Hidden"/> row <c>workspace.Offset(s) + i</c> is token i of sequence s.
    /// </summary>
    /// <param name="tokenTypes">token-type ids per sequence (segment A/B), or null for all zeros</param>
    /// <param name="threads">worker threads; 0 = all cores</param>
    /// <param name="capture">when given, receives every layer's hidden states and attention weights</param>
    public void Run(IReadOnlyList<int[]> tokenIds, BertWorkspace workspace, int threads = 0, IReadOnlyList<int[]>? tokenTypes = null,
        BertCapture? capture = null, CancellationToken cancellationToken = default)
    {
        if (threads <= 0) threads = Environment.ProcessorCount;
        var c = Config;
        int d = c.HiddenSize;
        for (int s = 0; s < tokenIds.Count; s++)
        {
            int[] ids = tokenIds[s];
            if (ids.Length == 0) throw new ArgumentException($"sequence {s} is empty", nameof(tokenIds));
            if (ids.Length > c.MaxPositions) throw new ArgumentException($"sequence {s} has {ids.Length} tokens; the model allows {c.MaxPositions}", nameof(tokenIds));
            foreach (int id in ids)
                if ((uint)id >= (uint)c.VocabSize) throw new ArgumentException($"token id {id} is outside the vocabulary of {c.VocabSize}", nameof(tokenIds));
            if (tokenTypes is not null)
            {
                if (tokenTypes[s].Length != ids.Length) throw new ArgumentException($"sequence {s}: token types and ids differ in length", nameof(tokenTypes));
                foreach (int t in tokenTypes[s])
                    if ((uint)t >= (uint)c.TypeVocabSize) throw new ArgumentException($"token type {t} is outside 0..{c.TypeVocabSize - 1}", nameof(tokenTypes));
            }
        }
        if (capture is not null && tokenIds.Count != 1) throw new ArgumentException("capturing the inside of a run takes exactly one sequence", nameof(capture));
        workspace.Prepare(c, tokenIds);
        int rows = workspace.Tokens;
        var hidden = workspace.HiddenBuffer;
        var scratch = workspace.Scratch;

        // Embeddings: word + position + token type, then LayerNorm.
        for (int s = 0; s < tokenIds.Count; s++)
        {
            int[] ids = tokenIds[s];
            int[]? types = tokenTypes?[s];
            for (int i = 0; i < ids.Length; i++)
            {
                var row = scratch.AsSpan((workspace.Offset(s) + i) * d, d);
                TensorPrimitives.Add(_wordEmbeddings.AsSpan(ids[i] * d, d), _positionEmbeddings.AsSpan(i * d, d), row);
                TensorPrimitives.Add(row, _typeEmbeddings.AsSpan((types?[i] ?? 0) * d, d), row);
            }
        }
        ForRows(rows, threads, (first, end) => Normalization.LayerNorm(scratch.AsSpan(first * d, (end - first) * d),
            _embeddingNormWeight, _embeddingNormBias, c.LayerNormEps, hidden.AsSpan(first * d, (end - first) * d)));
        capture?.AddHiddenState(hidden.AsSpan(0, rows * d));

        for (int l = 0; l < _layers.Length; l++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RunLayer(_layers[l], workspace, threads, capture);
            capture?.AddHiddenState(hidden.AsSpan(0, rows * d));
        }
    }

    /// <summary>Runs one sequence and returns every layer's hidden states and attention weights.</summary>
    public BertCapture Inspect(int[] tokenIds, int threads = 0, CancellationToken cancellationToken = default)
    {
        var capture = new BertCapture(tokenIds.Length, Config.Heads, Config.HiddenSize);
        Run([tokenIds], new BertWorkspace(), threads, null, capture, cancellationToken);
        return capture;
    }

    private void RunLayer(BertLayer layer, BertWorkspace w, int threads, BertCapture? capture)
    {
        var c = Config;
        int d = c.HiddenSize, rows = w.Tokens, inter = c.IntermediateSize;
        var hidden = w.HiddenBuffer.AsSpan(0, rows * d);
        var qkv = w.Qkv.AsSpan(0, rows * 3 * d);
        var context = w.Context.AsSpan(0, rows * d);
        var scratch = w.Scratch.AsSpan(0, rows * d);
        var ffn = w.Intermediate.AsSpan(0, rows * inter);

        Dense(hidden, rows, layer.QkvWeight, layer.QkvBias, qkv, threads);
        BertAttention.Run(w, c, threads, capture);

        Dense(context, rows, layer.OutputWeight, layer.OutputBias, scratch, threads);
        ResidualNorm(w, layer.AttentionNormWeight, layer.AttentionNormBias, threads);

        Dense(hidden, rows, layer.IntermediateWeight, layer.IntermediateBias, ffn, threads);
        ForRows(rows, threads, (first, end) => BertGelu.InPlace(w.Intermediate.AsSpan(first * inter, (end - first) * inter)));

        Dense(ffn, rows, layer.FfnOutputWeight, layer.FfnOutputBias, scratch, threads);
        ResidualNorm(w, layer.OutputNormWeight, layer.OutputNormBias, threads);
    }

    /// <summary>y = x · Wᵀ + bias: Q8_0/Q4_0 weights meet x rounded to Q8_0 blocks in integer dot products (llama.cpp's
    /// scheme, several times fewer bytes and instructions per weight); f32 weights go through the f32 GEMM.</summary>
    private static void Dense(ReadOnlySpan<float> x, int rows, WeightMatrix w, float[] bias, Span<float> y, int threads)
    {
        if (Int8MatMul.Supports(w.Type)) Int8MatMul.Multiply(x, rows, w, bias, y, threads);
        else MatMul.Multiply(x, rows, w, bias, y, threads);
    }

    /// <summary>hidden = LayerNorm(scratch + hidden), rows split over the threads.</summary>
    private void ResidualNorm(BertWorkspace w, float[] weight, float[] bias, int threads)
    {
        int d = Config.HiddenSize;
        float eps = Config.LayerNormEps;
        ForRows(w.Tokens, threads, (first, end) =>
        {
            var scratch = w.Scratch.AsSpan(first * d, (end - first) * d);
            var hidden = w.HiddenBuffer.AsSpan(first * d, (end - first) * d);
            TensorPrimitives.Add(scratch, hidden, scratch);
            Normalization.LayerNorm(scratch, weight, bias, eps, hidden);
        });
    }

    /// <summary>Runs <paramref name="body"/>(first row, end row) over contiguous shares of the rows; the element-wise work
    /// between GEMMs would otherwise stay on one core.</summary>
    private static void ForRows(int rows, int threads, Action<int, int> body)
    {
        int parts = Math.Min(threads, rows / 32);
        if (parts <= 1)
        {
            body(0, rows);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p => body((int)((long)rows * p / parts), (int)((long)rows * (p + 1) / parts)));
    }
}
