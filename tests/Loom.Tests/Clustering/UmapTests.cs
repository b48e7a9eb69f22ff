using Loom.Clustering;
using Loom.Tests.Classification;

namespace Loom.Tests.Clustering;

public class UmapTests
{
    [Fact]
    public void CurveFitMatchesUmapLearnsPublishedParameters()
    {
        // umap-learn's find_ab_params(spread=1, min_dist=0.1) gives a ≈ 1.577, b ≈ 0.895 (its documented defaults).
        var (a, b) = Umap.FitCurve(0.1, 1.0);
        Assert.Equal(1.577, a, 0.01);
        Assert.Equal(0.895, b, 0.005);
    }

    [Fact]
    public void SmoothKnnDistanceHitsLog2K()
    {
        float[] distances = [0.5f, 0.9f, 1.3f, 2.0f, 2.2f, 3.5f, 4f, 4.1f];
        var (rho, sigma) = Umap.SmoothKnnDistance(distances);
        Assert.Equal(0.5, rho, 1e-9);
        double sum = distances.Sum(d => Math.Exp(-Math.Max(0, d - rho) / sigma));
        Assert.Equal(Math.Log2(distances.Length), sum, 1e-4);
    }

    [Fact]
    public void FuzzyUnionIsSymmetric()
    {
        int[][] indices = [[1], [2], [0]];
        float[][] distances = [[1f], [1f], [1f]];
        var edges = Umap.FuzzySimplicialSet(indices, distances);
        // Each directed weight is 1 (d = ρ); union of 1 and 0 is 1, present in both directions.
        Assert.Equal(6, edges.Count);
        Assert.All(edges, e => Assert.Equal(1f, e.W));
    }

    [Fact]
    public void LayoutKeepsSeparatedBlobsApartAndIsSeeded()
    {
        double[][] centres = Enumerable.Range(0, 4).Select(c => Enumerable.Range(0, 12).Select(j => j == c ? 12.0 : 0.0).ToArray()).ToArray();
        var (points, truth) = Blobs.Make(centres, 60, 1.0, 31);
        var umap = new Umap(new UmapOptions { Neighbors = 10, Epochs = 200, Seed = 4 });
        var layout = umap.FitTransform(points);
        Assert.Equal(2, layout[0].Length);
        // Every point's 10 nearest neighbours in the layout are from its own blob, as they were in the input.
        for (int i = 0; i < layout.Length; i++)
        {
            var neighbours = Enumerable.Range(0, layout.Length).Where(j => j != i)
                .OrderBy(j => Math.Pow(layout[i][0] - layout[j][0], 2) + Math.Pow(layout[i][1] - layout[j][1], 2)).Take(10);
            Assert.All(neighbours, j => Assert.Equal(truth[i], truth[j]));
        }
        Assert.Equal(1.0, ClusteringMetrics.AdjustedRandIndex(truth, new KMeans(new KMeansOptions { Clusters = 4 }).FitPredict(layout)), 12);
        Assert.True(ClusteringMetrics.Trustworthiness(points, layout, 5) > 0.85);
        var again = new Umap(new UmapOptions { Neighbors = 10, Epochs = 200, Seed = 4 }).FitTransform(points);
        Assert.Equal(layout.SelectMany(p => p), again.SelectMany(p => p));
    }
}
