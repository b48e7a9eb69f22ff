using System.Collections.Concurrent;
using Loom.Models.Bert;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Loom.Embeddings;

/// <summary>
/// Sentence embeddings from a BERT-family encoder: tokenize, sort by length, encode in packed batches, pool, normalise.
/// Implements Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>, so it plugs into any
/// M.E.AI pipeline. Thread-safe. The one-liner: <c>using var encoder = SentenceEncoder.Create("minilm");</c>
/// </summary>
public sealed class SentenceEncoder : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ConcurrentBag<BertWorkspace> _workspaces = [];
    private long _truncated, _tokens;

    /// <param name="model">the encoder</param>
    /// <param name="tokenizer">a tokenizer whose EncodeToIds adds the special tokens ([CLS] … [SEP]), as BertTokenizer does</param>
    /// <param name="pooling">the model's pooling convention (overridden by <see cref="SentenceEncoderOptions.Pooling"/>)</param>
    /// <param name="maxLength">the model's default maximum tokens (overridden by <see cref="SentenceEncoderOptions.MaxLength"/>)</param>
    public SentenceEncoder(BertModel model, Tokenizer tokenizer, SentenceEncoderOptions? options = null, PoolingMode pooling = PoolingMode.Mean,
        int? maxLength = null, string? modelId = null)
    {
        Model = model;
        Tokenizer = tokenizer;
        Options = options ?? new SentenceEncoderOptions();
        if (Options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be positive");
        if (Options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), "Threads must be 0 (all cores) or positive");
        Pooling = Options.Pooling ?? pooling;
        MaxLength = Math.Min(Options.MaxLength ?? maxLength ?? model.Config.MaxPositions, model.Config.MaxPositions);
        if (MaxLength < 2) throw new ArgumentOutOfRangeException(nameof(options), "MaxLength must leave room for [CLS] and [SEP]");
        Metadata = new EmbeddingGeneratorMetadata("loom", null, modelId, model.Config.HiddenSize);
    }

    /// <summary>Loads a model by default name ("minilm", "arctic-xs"), ONNX file, or folder (model.onnx + vocab.txt, or a
    /// Hugging Face folder), with the model's own pooling and maximum length unless <paramref name="options"/> says otherwise.</summary>
    public static SentenceEncoder Create(string model = "minilm", SentenceEncoderOptions? options = null)
    {
        var loaded = EncoderModelLoader.Load(model);
        var bert = options?.WeightType is { } type ? loaded.Model.Quantize(type) : loaded.Model;
        return new SentenceEncoder(bert, loaded.Tokenizer, options, loaded.Pooling, loaded.MaxLength, loaded.Id);
    }

    public BertModel Model { get; }
    public Tokenizer Tokenizer { get; }
    public SentenceEncoderOptions Options { get; }
    public PoolingMode Pooling { get; }

    /// <summary>Longest token sequence fed to the model, special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>Length of each embedding.</summary>
    public int Dimensions => Model.Config.HiddenSize;

    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>How many texts so far were longer than <see cref="MaxLength"/> and were truncated.</summary>
    public long TruncatedCount => Interlocked.Read(ref _truncated);

    /// <summary>How many tokens (special tokens included) were encoded so far.</summary>
    public long TokenCount => Interlocked.Read(ref _tokens);

    /// <summary>The token ids the model sees for <paramref name="text"/>: special tokens added, truncated to <see cref="MaxLength"/>.</summary>
    public int[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // BertTokenizer adds [CLS]/[SEP] only through its own overload; other tokenizers given here add them in EncodeToIds.
        var ids = Tokenizer is BertTokenizer bert ? bert.EncodeToIds(text, addSpecialTokens: true) : Tokenizer.EncodeToIds(text);
        if (ids.Count <= MaxLength) return [.. ids];
        // Keep [CLS] and the start of the text, and end with the tokenizer's closing token ([SEP]), as HF truncation does.
        Interlocked.Increment(ref _truncated);
        var kept = new int[MaxLength];
        for (int i = 0; i < MaxLength - 1; i++) kept[i] = ids[i];
        kept[^1] = ids[^1];
        return kept;
    }

    /// <summary>The embedding of one text.</summary>
    public float[] Embed(string text, CancellationToken cancellationToken = default) => Embed([text], null, cancellationToken)[0];

    /// <summary>Embeddings of many texts, in their order. Reports the number of texts done to <paramref name="progress"/>.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = new int[texts.Count][];
        for (int i = 0; i < ids.Length; i++) ids[i] = Tokenize(texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts)));
        return EmbedTokens(ids, progress, cancellationToken);
    }

    /// <summary>Embeddings of texts already tokenized (each with its special tokens and at most the model's positions).</summary>
    public float[][] EmbedTokens(IReadOnlyList<int[]> tokenIds, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        int count = tokenIds.Count;
        var result = new float[count][];
        // Longest first, as sentence-transformers does: batches hold similar lengths and the first batch sizes the buffers.
        var order = Enumerable.Range(0, count).OrderByDescending(i => tokenIds[i].Length).ToArray();
        var workspace = _workspaces.TryTake(out var w) ? w : new BertWorkspace();
        var batch = new List<int[]>(Options.BatchSize);
        try
        {
            for (int start = 0; start < count; start += Options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int size = Math.Min(Options.BatchSize, count - start);
                batch.Clear();
                for (int b = 0; b < size; b++) batch.Add(tokenIds[order[start + b]]);
                Model.Run(batch, workspace, Options.Threads, cancellationToken: cancellationToken);
                for (int b = 0; b < size; b++)
                {
                    var embedding = new float[Dimensions];
                    Embeddings.Pooling.Pool(workspace.SequenceHidden(b), Pooling, embedding);
                    if (Options.Normalize) Embeddings.Pooling.Normalize(embedding);
                    result[order[start + b]] = embedding;
                }
                Interlocked.Add(ref _tokens, workspace.Tokens);
                progress?.Report(start + size);
            }
        }
        finally
        {
            _workspaces.Add(workspace);
        }
        return result;
    }

    /// <summary>The last hidden state of every token of <paramref name="text"/> (contextual token embeddings), with the tokens.</summary>
    public (int[] TokenIds, float[][] Embeddings) EmbedTokensInContext(string text, CancellationToken cancellationToken = default)
    {
        var ids = Tokenize(text);
        var workspace = new BertWorkspace();
        Model.Run([ids], workspace, Options.Threads, cancellationToken: cancellationToken);
        var rows = new float[ids.Length][];
        for (int i = 0; i < ids.Length; i++) rows[i] = workspace.SequenceHidden(0).Slice(i * Dimensions, Dimensions).ToArray();
        return (ids, rows);
    }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is int dims && dims != Dimensions)
            throw new ArgumentException($"this model produces {Dimensions}-dimensional embeddings, not {dims}", nameof(options));
        var texts = values.ToArray();
        return Task.Run(() =>
        {
            var ids = texts.Select(Tokenize).ToArray();
            var vectors = EmbedTokens(ids, null, cancellationToken);
            var created = DateTimeOffset.UtcNow;
            return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = Metadata.DefaultModelId, CreatedAt = created }))
            {
                Usage = new UsageDetails { InputTokenCount = ids.Sum(i => (long)i.Length) },
            };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose() { }
}
