using Loom.Clustering;
using Loom.Tests.Classification;

namespace Loom.Tests.Clustering;

public class HdbscanTests
{
    [Fact]
    public void CoreDistancesAndSpanningTreeMatchHandComputedCase()
    {
        // Points 0, 1, 3 with min-samples 2: core distances 1, 1, 2; mutual reachability (0,1) = 1, (1,3) = 2, (0,3) = 3.
        float[][] points = [[0f], [1f], [3f]];
        var core = Hdbscan.CoreDistances(points, 2, default);
        Assert.Equal([1.0, 1.0, 2.0], core);
        var mst = Hdbscan.MinimumSpanningTree(points, core, default);
        Assert.Equal([(0, 1, 1.0), (1, 2, 2.0)], mst.Select(e => (Math.Min(e.A, e.B), Math.Max(e.A, e.B), e.Weight)).Order());
    }

    [Fact]
    public void CondensedTreeAndStabilityMatchHandCheckedCase()
    {
        // 0 1 2 ... 10 11 12 with min-cluster-size 3, min-samples 1: the root (id 6) splits at distance 8 (λ = 1/8) into
        // clusters 7 and 8 of three points each, whose points all leave at distance 1 (λ = 1).
        // Stability: children (1 − 1/8)·3 = 2.625 each; root 2·3·(1/8) = 0.75. Both children are selected.
        float[][] points = [[0f], [1f], [2f], [10f], [11f], [12f]];
        var hdbscan = new Hdbscan(new HdbscanOptions { MinClusterSize = 3, MinSamples = 1 });
        int[] labels = hdbscan.FitPredict(points);
        Assert.Equal([0, 0, 0, 1, 1, 1], labels);
        Assert.All(hdbscan.Probabilities, p => Assert.Equal(1f, p));
        Assert.Equal(2.625, hdbscan.Stability[7], 12);
        Assert.Equal(2.625, hdbscan.Stability[8], 12);
        Assert.Equal(0.75, hdbscan.Stability[6], 12);
        var clusterEdges = hdbscan.CondensedTree.Where(e => e.Child >= 6).OrderBy(e => e.Child).ToList();
        Assert.Equal([new CondensedTreeEdge(6, 7, 0.125, 3), new CondensedTreeEdge(6, 8, 0.125, 3)], clusterEdges);
        Assert.Equal(6, hdbscan.CondensedTree.Count(e => e.Child < 6 && e.Lambda == 1));
    }

    [Fact]
    public void FindsBlobsAndLeavesTheNoiseBackgroundOut()
    {
        var (blobs, truth) = Blobs.Make([[0, 0], [8, 8], [-8, 8]], 80, 0.6, 21);
        var random = new Random(22);
        var noise = Enumerable.Range(0, 25).Select(_ => new[] { (float)(random.NextDouble() * 40 - 20), (float)(random.NextDouble() * 40 - 10) }).ToArray();
        // Fewer noise points than the minimum cluster size, so the background cannot form a cluster of its own.
        var hdbscan = new Hdbscan(new HdbscanOptions { MinClusterSize = 30, MinSamples = 5 });
        int[] labels = hdbscan.FitPredict([.. blobs, .. noise]);
        Assert.True(3 == labels.Where(l => l >= 0).Distinct().Count(), string.Join(",", labels));
        // Every blob point clustered, with the right partition.
        Assert.All(labels.Take(blobs.Length), l => Assert.True(l >= 0));
        Assert.Equal(1.0, ClusteringMetrics.AdjustedRandIndex(truth, labels.Take(blobs.Length).ToArray()), 12);
        // The background is mostly outliers; the noise points a blob absorbs before it is born are weak members.
        var noiseLabels = labels.Skip(blobs.Length).ToArray();
        var noiseStrength = hdbscan.Probabilities.Skip(blobs.Length).ToArray();
        Assert.True(noiseLabels.Count(l => l == -1) >= 0.6 * noise.Length, string.Join(",", noiseLabels));
        Assert.All(noiseStrength, p => Assert.True(p < 0.5f, $"noise membership {p}"));
        Assert.True(hdbscan.Probabilities.Take(blobs.Length).Average() > 0.5f);
        Assert.All(hdbscan.Probabilities.Where((p, i) => labels[i] == -1), p => Assert.Equal(0f, p));
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(1f, hdbscan.Probabilities.Where((p, i) => labels[i] == c).Max()));
        Assert.Equal(labels, new Hdbscan(new HdbscanOptions { MinClusterSize = 30, MinSamples = 5 }).FitPredict([.. blobs, .. noise]));
    }

    [Fact]
    public void SeparatesConcentricRings()
    {
        var random = new Random(8);
        var points = new List<float[]>();
        var truth = new List<int>();
        foreach (var (radius, count, label) in new[] { (1.0, 120, 0), (4.0, 240, 1) })
            for (int i = 0; i < count; i++)
            {
                double angle = 2 * Math.PI * i / count;
                points.Add([(float)(radius * Math.Cos(angle) + 0.03 * Blobs.Gaussian(random)), (float)(radius * Math.Sin(angle) + 0.03 * Blobs.Gaussian(random))]);
                truth.Add(label);
            }
        int[] labels = new Hdbscan(new HdbscanOptions { MinClusterSize = 20, MinSamples = 3 }).FitPredict(points);
        Assert.Equal(1.0, ClusteringMetrics.AdjustedRandIndex(truth, labels), 12);
        // k-means cannot: the rings share a centre.
        int[] kmeans = new KMeans(new KMeansOptions { Clusters = 2 }).FitPredict(points);
        Assert.True(ClusteringMetrics.AdjustedRandIndex(truth, kmeans) < 0.5);
    }

    [Fact]
    public void AllDuplicatePointsAreOneClusterOnlyWhenAllowed()
    {
        float[][] same = Enumerable.Repeat(new[] { 1f, 2f }, 30).ToArray();
        Assert.All(new Hdbscan(new HdbscanOptions { MinClusterSize = 5 }).FitPredict(same), l => Assert.Equal(-1, l));
        Assert.All(new Hdbscan(new HdbscanOptions { MinClusterSize = 5, AllowSingleCluster = true }).FitPredict(same), l => Assert.Equal(0, l));
    }
}
