using Loom.Classification;

namespace Loom.Tests.Classification;

public class PrototypeClassifierTests
{
    [Fact]
    public async Task CentroidsAreMeansOfUnitVectorsAndClassifyByCosine()
    {
        var generator = new KeywordEmbeddingGenerator("cat", "dog");
        var classifier = await PrototypeClassifier.FromExamplesAsync(generator,
            ["cat", "cat cat", "dog", "dog dog dog"], ["feline", "feline", "canine", "canine"]);
        Assert.Equal(["canine", "feline"], classifier.Labels);
        // Both "feline" examples point (almost) along the cat axis: the centroid direction is their normalised mean.
        float[] feline = classifier.Prototypes[1];
        double[] a = Unit([1, 0, 0.1]), b = Unit([2, 0, 0.1]);
        double[] mean = Unit([a[0] + b[0], a[1] + b[1], a[2] + b[2]]);
        for (int j = 0; j < 3; j++) Assert.Equal(mean[j], feline[j], 1e-6);

        var predictions = await classifier.ClassifyAsync(["dog cat dog", "cat"]);
        Assert.Equal(["canine", "feline"], predictions.Select(p => p.Label));
        Assert.Equal(Cosine([1, 0, 0.1], mean), predictions[1].Score, 1e-6);
    }

    [Fact]
    public async Task ZeroShotUsesLabelDescriptions()
    {
        var generator = new KeywordEmbeddingGenerator("space", "ship", "cooking");
        var classifier = await PrototypeClassifier.FromDescriptionsAsync(generator,
            [new("startrek", "space ship"), new("food", "cooking")]);
        var predictions = await classifier.ClassifyAsync(["the ship went to space", "cooking tonight"]);
        Assert.Equal(["startrek", "food"], predictions.Select(p => p.Label));
        await Assert.ThrowsAsync<ArgumentException>(() => PrototypeClassifier.FromDescriptionsAsync(generator, [new("a", "x"), new("a", "y")]));
    }

    private static double[] Unit(double[] v)
    {
        double n = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / n).ToArray();
    }

    private static double Cosine(double[] a, double[] b)
    {
        var ua = Unit(a); var ub = Unit(b);
        return ua.Zip(ub, (x, y) => x * y).Sum();
    }
}
