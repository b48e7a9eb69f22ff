using Loom.Clustering;

namespace Loom.Tests.Clustering;

public class ClusteringMetricsTests
{
    [Fact]
    public void AdjustedRandIndexMatchesHandComputedCases()
    {
        Assert.Equal(1.0, ClusteringMetrics.AdjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 12);
        // Contingency {2, 1, 1}: index 1, expected 1·2/6, maximum 1.5 → (2/3)/(7/6) = 4/7 (scikit-learn's docs: 0.57).
        Assert.Equal(4.0 / 7, ClusteringMetrics.AdjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]), 12);
        Assert.Equal(-0.5, ClusteringMetrics.AdjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), 12);
    }

    [Fact]
    public void NormalizedMutualInformationMatchesHandComputedCase()
    {
        Assert.Equal(1.0, ClusteringMetrics.NormalizedMutualInformation([0, 0, 1, 1], [5, 5, 7, 7]), 12);
        Assert.Equal(0.0, ClusteringMetrics.NormalizedMutualInformation([0, 0, 1, 1], [0, 0, 0, 0]), 12);
        // a = [0,0,1,1], b = [0,0,0,1]: H(a) = ln 2, H(b) = −(¾ ln ¾ + ¼ ln ¼),
        // MI = ½ ln(4/3) + ¼ ln(2/3) + ¼ ln 2; NMI = MI / ((H(a) + H(b)) / 2).
        double ha = Math.Log(2), hb = -(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25));
        double mi = 0.5 * Math.Log(4.0 / 3) + 0.25 * Math.Log(2.0 / 3) + 0.25 * Math.Log(2);
        Assert.Equal(mi / ((ha + hb) / 2), ClusteringMetrics.NormalizedMutualInformation([0, 0, 1, 1], [0, 0, 0, 1]), 12);
    }

    [Fact]
    public void TrustworthinessIsOneForAnIsometryAndLowForAShuffle()
    {
        var random = new Random(1);
        var points = Enumerable.Range(0, 60).Select(_ => new[] { (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() }).ToArray();
        var shifted = points.Select(p => new[] { p[0] + 5, p[1] - 2, p[2] }).ToArray();
        Assert.Equal(1.0, ClusteringMetrics.Trustworthiness(points, shifted, 5), 12);
        var shuffled = points.OrderBy(_ => random.Next()).ToArray();
        Assert.True(ClusteringMetrics.Trustworthiness(points, shuffled, 5) < 0.7);
    }
}
