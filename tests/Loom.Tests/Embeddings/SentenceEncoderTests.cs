using Loom.Embeddings;
using Loom.Formats;
using Loom.Models.Bert;
using Microsoft.Extensions.AI;

namespace Loom.Tests.Embeddings;

public class SentenceEncoderTests
{
    private static readonly Lazy<SentenceEncoder> MiniLm = new(() => SentenceEncoder.Create("minilm"));

    /// <summary>The sentence-transformers documentation's example: 0.7553 for the two eating sentences with all-MiniLM-L6-v2
    /// (we accept ±0.01: our tokenizer is Microsoft.ML.Tokenizers' BertTokenizer, which matches HF on these sentences).</summary>
    [Fact]
    public void PublishedSimilarityOfMiniLm()
    {
        var v = MiniLm.Value.Embed(["A man is eating food.", "A man is eating a piece of bread.", "A cheetah is running behind its prey."]);
        float related = Pooling.Cosine(v[0], v[1]);
        float unrelated = Pooling.Cosine(v[0], v[2]);
        Assert.InRange(related, 0.745f, 0.765f);
        Assert.True(related > unrelated + 0.4f, $"related {related}, unrelated {unrelated}");
    }

    [Fact]
    public void EmbeddingsAreUnitLengthAndIndependentOfBatching()
    {
        var texts = Loom.Tests.Bert.Fortunes.Read().Take(40).ToArray();
        var together = MiniLm.Value.Embed(texts);
        for (int i = 0; i < texts.Length; i += 7)
        {
            var alone = MiniLm.Value.Embed(texts[i]);
            Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(alone), 1e-5f);
            Assert.True(Pooling.Cosine(alone, together[i]) > 0.999999f, $"text {i}");
        }
    }

    [Fact]
    public void DefaultsFollowEachModelsConvention()
    {
        Assert.Equal(PoolingMode.Mean, MiniLm.Value.Pooling);
        Assert.Equal(256, MiniLm.Value.MaxLength);
        Assert.Equal(384, MiniLm.Value.Dimensions);
        using var arctic = SentenceEncoder.Create("arctic-xs");
        Assert.Equal(PoolingMode.Cls, arctic.Pooling);
        Assert.Equal(512, arctic.MaxLength);
    }

    [Fact]
    public void PoolingModesComputeWhatTheySay()
    {
        float[] tokens = [1, -2, 3, 4, 0, -1]; // three tokens of size 2
        var output = new float[2];
        Pooling.Pool(tokens, PoolingMode.Cls, output);
        Assert.Equal([1f, -2f], output);
        Pooling.Pool(tokens, PoolingMode.Mean, output);
        Assert.Equal([4f / 3, 1f / 3], output);
        Pooling.Pool(tokens, PoolingMode.Max, output);
        Assert.Equal([3f, 4f], output);
    }

    [Fact]
    public void LongTextsAreTruncatedAndCounted()
    {
        using var encoder = new SentenceEncoder(MiniLm.Value.Model, MiniLm.Value.Tokenizer, new SentenceEncoderOptions { MaxLength = 16 });
        var text = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 10));
        var ids = encoder.Tokenize(text);
        Assert.Equal(16, ids.Length);
        Assert.Equal((101, 102), (ids[0], ids[^1]));
        Assert.Equal(1, encoder.TruncatedCount);
        encoder.Embed(["short", text, text]);
        Assert.Equal(3, encoder.TruncatedCount);
    }

    [Fact]
    public async Task WorksAsAnEmbeddingGenerator()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = MiniLm.Value;
        var result = await generator.GenerateAsync(["hello world", "good morning"]);
        Assert.Equal(2, result.Count);
        Assert.Equal(384, result[0].Vector.Length);
        Assert.Equal(8, result.Usage!.InputTokenCount); // [CLS] hello world [SEP] + [CLS] good morning [SEP]
        // Same vector as a direct call (batch composition changes the GEMM path, so not bit-identical).
        Assert.True(Pooling.Cosine(MiniLm.Value.Embed("hello world"), result[0].Vector.Span) > 0.999999f);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.Equal(384, metadata!.DefaultModelDimensions);
        Assert.Contains("MiniLM", metadata.DefaultModelId);
    }

    [Fact]
    public void CancellationStopsTheWorkAndProgressIsReported()
    {
        var texts = Loom.Tests.Bert.Fortunes.Read().Take(64).ToArray();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => MiniLm.Value.Embed(texts, null, cancelled.Token));
        var reports = new List<int>();
        using var encoder = new SentenceEncoder(MiniLm.Value.Model, MiniLm.Value.Tokenizer, new SentenceEncoderOptions { BatchSize = 16 });
        encoder.Embed(texts, new SynchronousProgress(reports));
        Assert.Equal([16, 32, 48, 64], reports);
    }

    [Fact]
    public void BadModelsAndInputsGiveClearErrors()
    {
        Assert.Throws<FileNotFoundException>(() => SentenceEncoder.Create("/nonexistent/folder"));
        var folder = Directory.CreateTempSubdirectory("loom-enc-");
        try
        {
            File.WriteAllBytes(Path.Combine(folder.FullName, "model.onnx"), Onnx.ProtoWriter.SmallModel());
            File.WriteAllText(Path.Combine(folder.FullName, "vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
            var error = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Create(folder.FullName));
            Assert.Contains("not a BERT graph", error.Message);
            File.WriteAllBytes(Path.Combine(folder.FullName, "model.onnx"), new byte[] { 0x08, 0x07, 0x3A, 0x40 });
            Assert.Throws<ModelFormatException>(() => SentenceEncoder.Create(folder.FullName));
        }
        finally { folder.Delete(true); }
        var model = MiniLm.Value.Model;
        Assert.Throws<ArgumentException>(() => model.Run([new int[600]], new BertWorkspace()));
        Assert.Throws<ArgumentException>(() => model.Run([[101, 99999, 102]], new BertWorkspace()));
        Assert.Throws<ArgumentException>(() => model.Run([[]], new BertWorkspace()));
    }

    /// <summary>The quantised path: Q8_0 weights (int8, one scale per 32) times activations rounded to Q8_0 stay within
    /// cosine 0.999 of f32 on real text (the bound). These 128 fortunes hold the worst of the first 2048, fortune 1010,
    /// at cosine 0.9993.</summary>
    [Fact]
    public void Q8WeightsStayCloseToF32()
    {
        var texts = Loom.Tests.Bert.Fortunes.Read().Skip(960).Take(128).ToArray();
        using var q8 = SentenceEncoder.Create("minilm", new SentenceEncoderOptions { WeightType = Loom.Tensors.GgmlType.Q8_0 });
        Assert.Equal(Loom.Tensors.GgmlType.Q8_0, q8.Model.LinearWeightType);
        var exact = MiniLm.Value.Embed(texts);
        var quantised = q8.Embed(texts);
        float worst = Enumerable.Range(0, texts.Length).Min(i => Pooling.Cosine(exact[i], quantised[i]));
        Assert.True(worst >= 0.999f, $"worst cosine {worst}");
        Assert.True(worst < 0.999999f, "Q8_0 weights cannot give f32's embeddings exactly; the quantisation did not happen");
        Assert.Throws<NotSupportedException>(() => MiniLm.Value.Model.Quantize(Loom.Tensors.GgmlType.Q4_K)); // 384 is not a multiple of 256
    }

    private sealed class SynchronousProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }
}
