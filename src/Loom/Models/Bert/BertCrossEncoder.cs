using System.Numerics.Tensors;
using Loom.Embeddings;
using Loom.Formats;
using Loom.Tensors;
using Loom.Tokenization;

namespace Loom.Models.Bert;

/// <summary>How a <see cref="BertCrossEncoder"/> reads its pairs.</summary>
public sealed record BertCrossEncoderOptions
{
    /// <summary>Tokens per pair, special tokens included; longer pairs are truncated longest first. Null: the model's
    /// position limit capped at 512.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Pairs encoded per run of the encoder.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Worker threads; 0 = all cores.</summary>
    public int Threads { get; init; }
}

/// <summary>
/// A BERT cross-encoder (Hugging Face BertForSequenceClassification, e.g. a sentence-transformers CrossEncoder reranker):
/// reads "[CLS] query [SEP] passage [SEP]" with token types 0 / 1, takes BERT's pooler (dense + tanh on the [CLS] state)
/// and a linear classifier over it. A reranker has one label, whose logit is the relevance score.
/// Immutable once loaded and safe to share between threads.
/// </summary>
public sealed class BertCrossEncoder
{
    private readonly WeightMatrix _pooler, _classifier;
    private readonly float[] _poolerBias, _classifierBias;
    private readonly BertCrossEncoderOptions _options;
    private readonly int _maxLength;

    private BertCrossEncoder(BertModel encoder, BertWordPieceTokenizer tokenizer, WeightMatrix pooler, float[] poolerBias,
        WeightMatrix classifier, float[] classifierBias, BertCrossEncoderOptions options)
    {
        Encoder = encoder;
        Tokenizer = tokenizer;
        _pooler = pooler;
        _poolerBias = poolerBias;
        _classifier = classifier;
        _classifierBias = classifierBias;
        _options = options;
        _maxLength = Math.Min(options.MaxLength ?? 512, encoder.Config.MaxPositions);
    }

    public BertModel Encoder { get; }
    public BertWordPieceTokenizer Tokenizer { get; }

    /// <summary>Number of classifier outputs (1 for a reranker).</summary>
    public int Labels => _classifier.Rows;

    /// <summary>Loads a Hugging Face folder: config.json (BertForSequenceClassification), model.safetensors, vocab.txt.</summary>
    /// <exception cref="ModelFormatException">missing or misshapen pooler / classifier, or not a BERT encoder</exception>
    public static BertCrossEncoder FromHuggingFace(string directory, BertCrossEncoderOptions? options = null)
    {
        options ??= new BertCrossEncoderOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        if (options.MaxLength is < 4) throw new ArgumentOutOfRangeException(nameof(options), "MaxLength must leave room for [CLS] q [SEP] p [SEP]");
        var configPath = Path.Combine(directory, "config.json");
        var weightsPath = Path.Combine(directory, "model.safetensors");
        var vocabPath = Path.Combine(directory, "vocab.txt");
        foreach (var path in new[] { configPath, weightsPath, vocabPath })
            if (!File.Exists(path)) throw new FileNotFoundException($"no {Path.GetFileName(path)} in {directory}", path);
        var hfConfig = HuggingFaceConfig.Load(configPath);
        if (hfConfig.Architectures.Count > 0 && !hfConfig.Architectures.Contains("BertForSequenceClassification"))
            throw new ModelFormatException(configPath, $"architectures [{string.Join(", ", hfConfig.Architectures)}] is not BertForSequenceClassification");
        var config = BertSafetensorsSource.ReadConfig(hfConfig, configPath);
        using var weights = SafetensorsFile.Open(weightsPath);
        var source = new BertSafetensorsSource(weights);
        var encoder = BertModel.Build(config, source);
        int d = config.HiddenSize;

        BertTensor Need(string name) => source.Find(name) ?? throw new ModelFormatException(source.Description, $"missing tensor '{name}' (a cross-encoder needs BERT's pooler and a classifier head)");
        float[] Shaped(string name, params long[] shape)
        {
            var t = Need(name);
            if (!t.Shape.SequenceEqual(shape))
                throw new ModelFormatException(source.Description, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}]");
            return t.Data;
        }
        var classifierWeight = Need("classifier.weight");
        if (classifierWeight.Shape is not [> 0 and <= 4096, var cols] || cols != d)
            throw new ModelFormatException(source.Description, $"tensor 'classifier.weight' has shape [{string.Join(", ", classifierWeight.Shape)}], expected [labels, {d}]");
        int labels = (int)classifierWeight.Shape[0];
        return new BertCrossEncoder(encoder, EncoderModelLoader.CreateTokenizer(vocabPath),
            WeightMatrix.FromFloats(Shaped("pooler.dense.weight", d, d), d, d), Shaped("pooler.dense.bias", d),
            WeightMatrix.FromFloats(classifierWeight.Data, labels, d), Shaped("classifier.bias", labels), options);
    }

    /// <summary>The pair as the model reads it: [CLS] query [SEP] passage [SEP], token types 0 then 1, truncated longest first.</summary>
    public BertEncoding EncodePair(string query, string passage) =>
        Tokenizer.Encode(query, passage, new BertEncodeOptions { MaxLength = _maxLength });

    /// <summary>The relevance score (the single logit; <paramref name="sigmoid"/> maps it to 0..1) of each passage for the query.</summary>
    public float[] Score(string query, IReadOnlyList<string> passages, bool sigmoid = false, CancellationToken cancellationToken = default)
    {
        if (Labels != 1) throw new InvalidOperationException($"the classifier has {Labels} labels; Score needs a one-label reranker (use Logits)");
        var logits = Logits(passages.Select(p => EncodePair(query, p)).ToList(), cancellationToken);
        var scores = logits.Select(l => l[0]).ToArray();
        if (sigmoid) TensorPrimitives.Sigmoid(scores, scores);
        return scores;
    }

    /// <summary>The classifier's logits for each encoded pair, [Labels] per pair.</summary>
    public float[][] Logits(IReadOnlyList<BertEncoding> pairs, CancellationToken cancellationToken = default) =>
        Run(pairs, _classifier.Rows, cancellationToken, (pooled, rows, output) =>
            MatMul.Multiply(pooled, rows, _classifier, _classifierBias, output, _options.Threads));

    /// <summary>BERT's pooler output (tanh(W·h[CLS] + b)) for each encoded pair, [HiddenSize] per pair.</summary>
    public float[][] Pool(IReadOnlyList<BertEncoding> pairs, CancellationToken cancellationToken = default) =>
        Run(pairs, Encoder.Config.HiddenSize, cancellationToken, (pooled, rows, output) => pooled.CopyTo(output));

    private delegate void Head(ReadOnlySpan<float> pooled, int rows, Span<float> output);

    private float[][] Run(IReadOnlyList<BertEncoding> pairs, int width, CancellationToken cancellationToken, Head head)
    {
        int d = Encoder.Config.HiddenSize, batch = _options.BatchSize;
        var results = new float[pairs.Count][];
        var workspace = new BertWorkspace();
        var cls = new float[batch * d];
        var pooled = new float[batch * d];
        var output = new float[batch * width];
        for (int first = 0; first < pairs.Count; first += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(batch, pairs.Count - first);
            var slice = Enumerable.Range(first, n).Select(i => pairs[i]).ToList();
            // Encodings may come padded; the encoder takes each sequence unpadded.
            int[] Unpadded(BertEncoding e, int[] values) => values[..e.AttentionMask.Count(m => m != 0)];
            Encoder.Run(slice.Select(e => Unpadded(e, e.Ids)).ToList(), workspace, _options.Threads,
                slice.Select(e => Unpadded(e, e.TypeIds)).ToList(), cancellationToken: cancellationToken);
            for (int s = 0; s < n; s++) workspace.Hidden.Slice(workspace.Offset(s) * d, d).CopyTo(cls.AsSpan(s * d, d));
            MatMul.Multiply(cls.AsSpan(0, n * d), n, _pooler, _poolerBias, pooled.AsSpan(0, n * d), _options.Threads);
            TensorPrimitives.Tanh(pooled.AsSpan(0, n * d), pooled.AsSpan(0, n * d));
            head(pooled.AsSpan(0, n * d), n, output.AsSpan(0, n * width));
            for (int s = 0; s < n; s++) results[first + s] = output.AsSpan(s * width, width).ToArray();
        }
        return results;
    }
}
