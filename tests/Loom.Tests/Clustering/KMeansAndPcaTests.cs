using Loom.Classification;
using Loom.Clustering;
using Loom.Tests.Classification;

namespace Loom.Tests.Clustering;

public class KMeansAndPcaTests
{
    [Fact]
    public void KMeansFindsHandCheckedCentresIn1D()
    {
        var kmeans = new KMeans(new KMeansOptions { Clusters = 2 });
        int[] labels = kmeans.FitPredict([[0f], [1f], [10f], [11f]]);
        Assert.Equal(labels[0], labels[1]);
        Assert.Equal(labels[2], labels[3]);
        Assert.NotEqual(labels[0], labels[2]);
        Assert.Equal([0.5, 10.5], kmeans.Centroids.Select(c => c[0]).Order());
        Assert.Equal(1.0, kmeans.Inertia, 1e-6); // four points, each 0.5 from its centre
    }

    [Fact]
    public void KMeansRecoversSeparatedBlobsDeterministically()
    {
        var (points, truth) = Blobs.Make([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], 50, 1.0, 11);
        int[] first = new KMeans(new KMeansOptions { Clusters = 4, Seed = 3 }).FitPredict(points);
        int[] second = new KMeans(new KMeansOptions { Clusters = 4, Seed = 3 }).FitPredict(points);
        Assert.Equal(1.0, ClusteringMetrics.AdjustedRandIndex(truth, first), 12);
        Assert.Equal(first, second);
        Assert.Throws<ArgumentException>(() => new KMeans(new KMeansOptions { Clusters = 5 }).FitPredict([[1f], [2f]]));
    }

    [Fact]
    public void SparseRowsClusterLikeTheirDenseForm()
    {
        var (points, truth) = Blobs.Make([[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 5]], 40, 0.5, 12);
        var sparse = FeatureRows.Sparse(points.Select(p => SparseVector.FromDictionary(p.Length, p.Select((v, j) => (v, j)).ToDictionary(e => e.j, e => e.v))).ToArray());
        var options = new KMeansOptions { Clusters = 3, Seed = 9 };
        int[] fromSparse = new KMeans(options).FitPredict(sparse);
        Assert.Equal(new KMeans(options).FitPredict(points), fromSparse);
        Assert.Equal(1.0, ClusteringMetrics.AdjustedRandIndex(truth, fromSparse), 12);
    }

    [Fact]
    public void PcaMatchesHandComputedEigenvectors()
    {
        // Covariance [[10, 6], [6, 10]] / 3: eigenvalues 16/3 along (1, 1)/√2 and 4/3 along (1, −1)/√2.
        var pca = new Pca(2);
        var projected = pca.FitTransform([[2f, 2f], [-2f, -2f], [1f, -1f], [-1f, 1f]]);
        Assert.Equal(16.0 / 3, pca.ExplainedVariance[0], 1e-10);
        Assert.Equal(4.0 / 3, pca.ExplainedVariance[1], 1e-10);
        double r = Math.Sqrt(0.5);
        Assert.Equal(r, pca.Axes[0][0], 1e-10);
        Assert.Equal(r, pca.Axes[0][1], 1e-10);
        Assert.Equal(2 * Math.Sqrt(2), projected[0][0], 1e-5);
        Assert.Equal(0, projected[0][1], 1e-5);
    }

    [Fact]
    public void PcaLeadingComponentsAreEigenvectorsOfTheCovariance()
    {
        // 40-dimensional data with a decaying spectrum: subspace iteration (k + 10 < d) must return eigenpairs
        // of the float64 covariance computed here naively.
        var random = new Random(5);
        int n = 300, d = 40;
        var points = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(j => (float)(Blobs.Gaussian(random) * 10 / (j + 1.0))).ToArray()).ToArray();
        var pca = new Pca(3);
        pca.Fit(points);
        var mean = Enumerable.Range(0, d).Select(j => points.Average(p => (double)p[j])).ToArray();
        var cov = new double[d, d];
        foreach (var p in points)
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++) cov[a, b] += (p[a] - mean[a]) * (p[b] - mean[b]) / (n - 1);
        for (int c = 0; c < 3; c++)
        {
            var v = pca.Axes[c];
            Assert.Equal(1.0, v.Sum(x => x * x), 1e-10);
            for (int a = 0; a < d; a++)
            {
                double cv = Enumerable.Range(0, d).Sum(b => cov[a, b] * v[b]);
                Assert.Equal(pca.ExplainedVariance[c] * v[a], cv, 1e-6 * pca.ExplainedVariance[0]);
            }
        }
        Assert.True(pca.ExplainedVariance[0] > pca.ExplainedVariance[1] && pca.ExplainedVariance[1] > pca.ExplainedVariance[2]);
        Assert.True(Math.Abs(pca.Axes[0][0]) > 0.99); // the first coordinate has by far the largest variance
    }
}
