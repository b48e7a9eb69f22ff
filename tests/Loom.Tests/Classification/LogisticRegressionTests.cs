using Loom.Classification;

namespace Loom.Tests.Classification;

public class LogisticRegressionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientMatchesFiniteDifferences(bool sparse)
    {
        var random = new Random(7);
        int n = 40, d = 6, classes = 3;
        var dense = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => random.NextDouble() < 0.5 && sparse ? 0f : (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var rows = sparse
            ? FeatureRows.Sparse(dense.Select(r => SparseVector.FromDictionary(d, r.Select((v, i) => (v, i)).ToDictionary(e => e.i, e => e.v))).ToArray())
            : FeatureRows.Dense(dense);
        int[] y = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
        double[] weights = Enumerable.Range(0, n).Select(i => 0.5 + random.NextDouble()).ToArray();
        double[] theta = Enumerable.Range(0, classes * (d + 1)).Select(_ => random.NextDouble() - 0.5).ToArray();
        var gradient = new double[theta.Length];
        LogisticRegression.Objective(rows, y, weights, classes, 0.3, theta, gradient);
        var scratch = new double[theta.Length];
        for (int j = 0; j < theta.Length; j++)
        {
            const double h = 1e-5;
            double[] plus = (double[])theta.Clone(), minus = (double[])theta.Clone();
            plus[j] += h;
            minus[j] -= h;
            double numeric = (LogisticRegression.Objective(rows, y, weights, classes, 0.3, plus, scratch)
                            - LogisticRegression.Objective(rows, y, weights, classes, 0.3, minus, scratch)) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[j]) <= 1e-8 + 1e-6 * Math.Abs(numeric), $"parameter {j}: analytic {gradient[j]}, numeric {numeric}");
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.1)]
    [InlineData(10.0)]
    public void SymmetricSeparableProblemMatchesClosedForm(double c)
    {
        // Points x = -1 (class 0) and x = +1 (class 1). By symmetry W = (-a, a), equal biases, and the optimum solves
        // a = 2C σ(-2a) (derivative of 2 log(1 + e^{-2a}) + a²/C), found here by bisection.
        double lo = 0, hi = 10 * c + 10;
        for (int i = 0; i < 200; i++)
        {
            double mid = (lo + hi) / 2;
            if (mid - 2 * c / (1 + Math.Exp(2 * mid)) < 0) lo = mid; else hi = mid;
        }
        double a = (lo + hi) / 2;
        var model = LogisticRegression.Train(FeatureRows.Dense([[-1f], [1f]]), [0, 1], 2, new LogisticRegressionOptions { C = c, GradientTolerance = 1e-10 });
        Assert.True(model.Fit!.Converged);
        Assert.Equal(-a, model.Weights[0], 1e-7);
        Assert.Equal(a, model.Weights[1], 1e-7);
        Assert.Equal(model.Bias[0], model.Bias[1], 1e-7);
    }

    [Fact]
    public void ReachesStationaryPointAndSeparatesBlobs()
    {
        double[][] centres = [[0, 0, 0, 0], [4, 0, 0, 0], [0, 4, 0, 0], [0, 0, 4, 4]];
        var (train, trainLabels) = Blobs.Make(centres, 60, 1.0, 1);
        var (test, testLabels) = Blobs.Make(centres, 40, 1.0, 2);
        var model = LogisticRegression.Train(FeatureRows.Dense(train), trainLabels, 4);
        Assert.True(model.Fit!.Converged, $"gradient norm {model.Fit.GradientNorm}");
        Assert.True(model.Fit.GradientNorm < 1e-6);

        var rows = FeatureRows.Dense(test);
        var p = new float[4];
        int correct = 0;
        for (int i = 0; i < test.Length; i++)
        {
            model.PredictProbabilities(rows, i, p);
            Assert.Equal(1f, p.Sum(), 1e-5f);
            if (Array.IndexOf(p, p.Max()) == testLabels[i]) correct++;
        }
        Assert.True(correct >= 0.95 * test.Length, $"{correct}/{test.Length}");
    }

    [Fact]
    public void BalancedWeightsAreInverseClassFrequency()
    {
        int[] labels = [0, 0, 0, 1];
        var weights = LogisticRegression.SampleWeights(labels, [3, 1], ClassWeighting.Balanced);
        Assert.Equal([4.0 / 6, 4.0 / 6, 4.0 / 6, 2.0], weights);
    }

    [Fact]
    public void BalancedWeightsMoveTheBoundaryTowardsTheMajorityClass()
    {
        // 1-D, overlapping classes, 9:1 imbalance: balancing must raise the minority class's predicted share.
        var (major, _) = Blobs.Make([[0.0]], 180, 1.0, 3);
        var (minor, _) = Blobs.Make([[1.5]], 20, 1.0, 4);
        var rows = FeatureRows.Dense([.. major, .. minor]);
        int[] y = [.. Enumerable.Repeat(0, 180), .. Enumerable.Repeat(1, 20)];
        int Minority(LogisticRegression m)
        {
            var p = new float[2];
            int count = 0;
            for (int i = 0; i < rows.Count; i++) { m.PredictProbabilities(rows, i, p); if (p[1] > p[0]) count++; }
            return count;
        }
        int plain = Minority(LogisticRegression.Train(rows, y, 2));
        int balanced = Minority(LogisticRegression.Train(rows, y, 2, new LogisticRegressionOptions { ClassWeighting = ClassWeighting.Balanced }));
        Assert.True(balanced > plain + 20, $"plain {plain}, balanced {balanced}");
    }

    [Fact]
    public void RefusesOneClassAndMismatchedInput()
    {
        var rows = FeatureRows.Dense([[1f], [2f]]);
        Assert.Throws<ArgumentException>(() => LogisticRegression.Train(rows, [0, 0], 2));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Train(rows, [0], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogisticRegression.Train(rows, [0, 5], 2));
        Assert.Throws<ArgumentException>(() => FeatureRows.Dense([[1f], [float.NaN]]));
        Assert.Throws<ArgumentException>(() => FeatureRows.Dense([[1f], [1f, 2f]]));
    }
}
