using Loom.Formats;
using Loom.Models;
using Loom.Models.Bert;

namespace Loom.Tests.Bert;

/// <summary>
/// A Hugging Face BertForSequenceClassification folder written from MiniLM's weights (its pooler included) plus a seeded random
/// one-label classifier head. No cross-encoder checkpoint is reachable offline, so the reference is ONNX Runtime running the
/// packaged MiniLM graph, whose second output is BERT's tanh pooler; the score must be its float64 dot with the head.
/// </summary>
public sealed class CrossEncoderFolder : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("loom-ce-");

    public CrossEncoderFolder()
    {
        Files = DefaultModels.Resolve("minilm");
        Write(Path, Files, (writer, source) =>
        {
            int d = source.Config.HiddenSize;
            var random = new Random(6);
            Head = [.. Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() - 0.5))];
            Bias = 0.25f;
            AddPooler(writer, source);
            writer.AddTensor("classifier.weight", Head, 1, d);
            writer.AddTensor("classifier.bias", [Bias], 1);
        });
        Model = BertCrossEncoder.FromHuggingFace(Path, new BertCrossEncoderOptions { BatchSize = 3 });
        Reference = new OnnxRuntimeReference(Files.ModelPath, 2);
    }

    public string Path => _folder.FullName;
    public DefaultModelFiles Files { get; }
    public float[] Head { get; private set; } = [];
    public float Bias { get; private set; }
    public BertCrossEncoder Model { get; }
    internal OnnxRuntimeReference Reference { get; }

    /// <summary>The reference score: ORT's pooler · head + bias in float64.</summary>
    public double ExpectedScore(string query, string passage)
    {
        var pair = Model.EncodePair(query, passage);
        var pooled = Reference.Pooler(pair.Ids, pair.TypeIds);
        double sum = Bias;
        for (int k = 0; k < Head.Length; k++) sum += (double)pooled[k] * Head[k];
        return sum;
    }

    internal static void Write(string folder, DefaultModelFiles files, Action<SafetensorsWriter, BertOnnxSource> extra) =>
        BertHuggingFaceTests.WriteFolder(folder, files, "bert.", "bert", "BertForSequenceClassification", extra);

    internal static void AddPooler(SafetensorsWriter writer, BertOnnxSource source)
    {
        foreach (var name in new[] { "pooler.dense.weight", "pooler.dense.bias" })
        {
            var tensor = source.Find(name) ?? throw new InvalidOperationException($"MiniLM's graph has no {name}");
            writer.AddTensor("bert." + name, tensor.Data, tensor.Shape);
        }
    }

    public void Dispose()
    {
        Reference.Dispose();
        _folder.Delete(true);
    }
}

public class BertCrossEncoderTests(CrossEncoderFolder fixture) : IClassFixture<CrossEncoderFolder>
{
    internal static readonly (string Query, string Passage)[] Pairs =
    [
        ("what do cats eat", "Cats are obligate carnivores: they need meat, and most eat mice, birds or canned food."),
        ("how is green tea made", "Green tea is brewed from the unoxidised leaves of the camellia plant."),
        ("why does iron rust", "Iron oxide forms when iron reacts with oxygen and water over time; salt speeds it up."),
        ("Who wrote Hamlet?", "Time flies like an arrow; fruit flies like a banana."),
    ];

    [Fact]
    public void PoolerOfAPairMatchesOnnxRuntime()
    {
        var encodings = Pairs.Select(p => fixture.Model.EncodePair(p.Query, p.Passage)).ToList();
        var pooled = fixture.Model.Pool(encodings);
        double worst = 0;
        for (int i = 0; i < encodings.Count; i++)
        {
            Assert.Contains(1, encodings[i].TypeIds); // the passage is segment B
            var expected = fixture.Reference.Pooler(encodings[i].Ids, encodings[i].TypeIds);
            Assert.Equal(expected.Length, pooled[i].Length);
            for (int k = 0; k < expected.Length; k++) worst = Math.Max(worst, Math.Abs(expected[k] - pooled[i][k]));
        }
        Assert.True(worst < 1e-4, $"pooler differs from ONNX Runtime by {worst:g3}");
    }

    [Fact]
    public void ScoreIsThePoolerDotTheClassifierHead()
    {
        Assert.Equal(1, fixture.Model.Labels);
        var (query, _) = Pairs[0];
        var passages = Pairs.Select(p => p.Passage).ToList();
        var scores = fixture.Model.Score(query, passages);
        var probabilities = fixture.Model.Score(query, passages, sigmoid: true);
        for (int i = 0; i < passages.Count; i++)
        {
            double expected = fixture.ExpectedScore(query, passages[i]);
            Assert.True(Math.Abs(expected - scores[i]) < 1e-4, $"pair {i}: score {scores[i]} vs reference {expected}");
            Assert.Equal(1 / (1 + Math.Exp(-expected)), probabilities[i], 1e-5);
        }
        Assert.True(scores.Distinct().Count() == scores.Length, "distinct passages should score differently");
    }

    [Fact]
    public void SeveralLabelsGiveOneLogitPerRow()
    {
        var folder = Directory.CreateTempSubdirectory("loom-ce-3-");
        try
        {
            float[] head = [], bias = [0.5f, -1f, 2f];
            CrossEncoderFolder.Write(folder.FullName, fixture.Files, (writer, source) =>
            {
                var random = new Random(3);
                head = [.. Enumerable.Range(0, 3 * source.Config.HiddenSize).Select(_ => (float)(random.NextDouble() - 0.5))];
                CrossEncoderFolder.AddPooler(writer, source);
                writer.AddTensor("classifier.weight", head, 3, source.Config.HiddenSize);
                writer.AddTensor("classifier.bias", bias, 3);
            });
            var model = BertCrossEncoder.FromHuggingFace(folder.FullName);
            Assert.Equal(3, model.Labels);
            Assert.Throws<InvalidOperationException>(() => model.Score("q", ["p"]));
            Assert.Throws<ArgumentException>(() => new Loom.Retrieval.CrossEncoderReranker(model));
            var pair = model.EncodePair(Pairs[1].Query, Pairs[1].Passage);
            var logits = model.Logits([pair])[0];
            var pooled = fixture.Reference.Pooler(pair.Ids, pair.TypeIds);
            for (int j = 0; j < 3; j++)
            {
                double expected = bias[j];
                for (int k = 0; k < pooled.Length; k++) expected += (double)pooled[k] * head[j * pooled.Length + k];
                Assert.True(Math.Abs(expected - logits[j]) < 1e-4, $"label {j}: {logits[j]} vs reference {expected}");
            }
        }
        finally { folder.Delete(true); }
    }

    [Fact]
    public void LongPairsAreTruncatedToTheLimit()
    {
        var model = BertCrossEncoder.FromHuggingFace(fixture.Path, new BertCrossEncoderOptions { MaxLength = 16 });
        var pair = model.EncodePair("a question about cats and dogs", string.Join(' ', Enumerable.Repeat("long passage", 40)));
        Assert.Equal(16, pair.Length);
        Assert.Single(model.Score("cats", [string.Join(' ', Enumerable.Repeat("word", 1000))]));
    }

    [Fact]
    public void CancellationStopsScoring()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => fixture.Model.Score("q", ["p"], cancellationToken: cancelled.Token));
    }

    [Theory]
    [InlineData("missing classifier")]
    [InlineData("classifier too wide")]
    [InlineData("pooler misshapen")]
    [InlineData("plain BertModel")]
    public void BadFoldersAreRefused(string problem)
    {
        var folder = Directory.CreateTempSubdirectory("loom-ce-bad-");
        try
        {
            var files = DefaultModels.Resolve("minilm");
            void Extra(SafetensorsWriter writer, BertOnnxSource source)
            {
                int d = source.Config.HiddenSize;
                if (problem == "pooler misshapen")
                {
                    writer.AddTensor("pooler.dense.weight", new float[d * 2], d, 2);
                    writer.AddTensor("pooler.dense.bias", new float[d], d);
                }
                else CrossEncoderFolder.AddPooler(writer, source);
                if (problem == "classifier too wide") writer.AddTensor("classifier.weight", new float[d + 1], 1, d + 1);
                else if (problem != "missing classifier") writer.AddTensor("classifier.weight", new float[d], 1, d);
                writer.AddTensor("classifier.bias", [0f], 1);
            }
            if (problem == "plain BertModel") BertHuggingFaceTests.WriteFolder(folder.FullName, files, "", "bert", "BertModel", Extra);
            else CrossEncoderFolder.Write(folder.FullName, files, Extra);
            var error = Assert.Throws<ModelFormatException>(() => BertCrossEncoder.FromHuggingFace(folder.FullName));
            Assert.Contains(problem switch { "missing classifier" => "classifier.weight", "classifier too wide" => "classifier.weight",
                "pooler misshapen" => "pooler.dense.weight", _ => "BertForSequenceClassification" }, error.Message);
        }
        finally { folder.Delete(true); }
    }
}
