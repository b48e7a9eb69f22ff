using Loom.Classification;
using Loom.Formats;

namespace Loom.Tests.Classification;

public class TextClassifierTests
{
    private static readonly string[] Texts =
    [
        "the compiler crashed with a segfault", "my kernel panics after the upgrade", "the disk driver leaks memory",
        "recompile the kernel module", "the compiler rejects this code",
        "add flour and sugar to the bowl", "bake the bread for an hour", "the soup needs more salt",
        "whisk the eggs with sugar", "slice the bread thinly",
    ];
    private static readonly string[] Labels = [.. Enumerable.Repeat("computers", 5), .. Enumerable.Repeat("food", 5)];

    [Fact]
    public async Task TfidfClassifierLearnsAndRoundTripsThroughItsFile()
    {
        var classifier = await TextClassifier.TrainOnTfidfAsync(Texts, Labels, options: new LogisticRegressionOptions { C = 10 });
        string[] queries = ["a kernel compiler bug", "sugar bread and eggs"];
        var predictions = await classifier.ClassifyAsync(queries);
        Assert.Equal(["computers", "food"], predictions.Select(p => p.Label));

        string path = Path.Combine(Path.GetTempPath(), $"loom-clf-{Guid.NewGuid():N}.json");
        try
        {
            classifier.Save(path);
            var loaded = TextClassifier.Load(path);
            Assert.Equal(classifier.Labels, loaded.Labels);
            var before = await classifier.PredictProbabilitiesAsync(queries);
            var after = await loaded.PredictProbabilitiesAsync(queries);
            for (int i = 0; i < before.Length; i++)
                for (int k = 0; k < before[i].Length; k++) Assert.Equal(before[i][k], after[i][k], 1e-6f); // weights are stored as float32
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task EmbeddingClassifierNeedsItsGeneratorWhenLoaded()
    {
        var generator = new KeywordEmbeddingGenerator("kernel", "compiler", "bread", "sugar");
        var classifier = await TextClassifier.TrainOnEmbeddingsAsync(generator, Texts, Labels);
        Assert.Equal("food", (await classifier.ClassifyAsync(["sugar"]))[0].Label);
        string path = Path.Combine(Path.GetTempPath(), $"loom-clf-{Guid.NewGuid():N}.json");
        try
        {
            classifier.Save(path);
            Assert.Throws<ArgumentException>(() => TextClassifier.Load(path));
            Assert.Throws<ArgumentException>(() => TextClassifier.Load(path, new KeywordEmbeddingGenerator("other")));
            var loaded = TextClassifier.Load(path, generator);
            Assert.Equal("computers", (await loaded.ClassifyAsync(["kernel compiler"]))[0].Label);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"format\":\"loom.text-classifier\",\"version\":1,\"features\":\"tfidf\",\"labels\":[\"a\",\"b\"],\"dimension\":2,\"weights\":[1,2,3],\"bias\":[0,0]}")]
    [InlineData("{\"format\":\"loom.text-classifier\",\"version\":9}")]
    [InlineData("{\"format\":\"something-else\",\"version\":1}")]
    [InlineData("{\"format\":\"loom.text-classifier\",\"version\":1,\"features\":\"tfidf\",\"labels\":[\"a\",\"a\"],\"dimension\":1,\"weights\":[1,2],\"bias\":[0,0]}")]
    [InlineData("{\"format\":\"loom.text-classifier\",\"version\":1,\"features\":\"tfidf\",\"labels\":[\"a\",\"b\"],\"dimension\":1,\"weights\":[1,2],\"bias\":[0,0]}")]
    [InlineData("{\"format\":\"loom.text-classifier\",\"version\":1,\"features\":\"tfidf\",\"labels\":[\"a\",\"b\"],\"dimension\":1,\"weights\":[1,2],\"bias\":[0,0],\"tfidf\":{\"vocabulary\":[\"xx\"],\"idf\":[-1],\"minNGram\":1,\"maxNGram\":1}}")]
    [InlineData("{\"format\":\"loom.text-classifier\",\"version\":1,\"features\":\"tfidf\",\"labels\":[\"a\",\"b\"],\"dimension\":1,\"weights\":[1,2],\"bias\":[0,0],\"tfidf\":{\"vocabulary\":[\"xx\"],\"idf\":[1],\"minNGram\":1,\"maxNGram\":1}")]
    public void RefusesBadFilesWithModelFormatException(string content)
    {
        string path = Path.Combine(Path.GetTempPath(), $"loom-clf-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, content);
            var e = Assert.Throws<ModelFormatException>(() => TextClassifier.Load(path));
            Assert.Equal(path, e.FilePath);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task RefusesEmptyAndOneClassTrainingData()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => TextClassifier.TrainOnTfidfAsync([], []));
        await Assert.ThrowsAsync<ArgumentException>(() => TextClassifier.TrainOnTfidfAsync(["aa bb", "cc dd"], ["x", "x"]));
        await Assert.ThrowsAsync<ArgumentException>(() => TextClassifier.TrainOnTfidfAsync(["aa bb", "cc dd"], ["x"]));
    }
}
