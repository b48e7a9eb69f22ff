using Loom.Clustering;

namespace Loom.Tests.Clustering;

public class TopicMetricsTests
{
    [Fact]
    public void ClassTfidfMatchesHandComputedWeights()
    {
        // Counts per class [[2, 0, 1], [0, 3, 1]]: f = [2, 3, 2], A = (3 + 4) / 2 = 3.5, weight = tf/|class| · ln(1 + A/f).
        var w = ClassTfidf.Weigh([[2, 0, 1], [0, 3, 1]]);
        Assert.Equal(2.0 / 3 * Math.Log(1 + 3.5 / 2), w[0][0], 12);
        Assert.Equal(0, w[0][1]);
        Assert.Equal(1.0 / 3 * Math.Log(1 + 3.5 / 2), w[0][2], 12);
        Assert.Equal(3.0 / 4 * Math.Log(1 + 3.5 / 3), w[1][1], 12);
        Assert.Equal(1.0 / 4 * Math.Log(1 + 3.5 / 2), w[1][2], 12);
    }

    [Fact]
    public void DiversityCountsSharedWords()
    {
        Assert.Equal(1.0, TopicMetrics.Diversity([["a", "b"], ["c", "d"]]), 12);
        Assert.Equal(0.75, TopicMetrics.Diversity([["a", "b"], ["a", "d"]]), 12);
        Assert.Equal(0.5, TopicMetrics.Diversity([["a", "b", "x"], ["a", "b", "y"]], topK: 2), 12);
    }

    [Fact]
    public void NpmiMatchesHandComputedCase()
    {
        // Documents {a,b} {a,b} {a} {c}: P(a) = 3/4, P(b) = 1/2, P(a,b) = 1/2 → NPMI = ln(4/3) / ln 2; a and c never meet → −1.
        IReadOnlySet<string>[] docs = [new HashSet<string> { "a", "b" }, new HashSet<string> { "a", "b" }, new HashSet<string> { "a" }, new HashSet<string> { "c" }];
        Assert.Equal(Math.Log(4.0 / 3) / Math.Log(2), TopicMetrics.NpmiCoherence([["a", "b"]], docs), 12);
        Assert.Equal(-1, TopicMetrics.NpmiCoherence([["a", "c"]], docs), 12);
        Assert.Equal((Math.Log(4.0 / 3) / Math.Log(2) - 1) / 2, TopicMetrics.NpmiCoherence([["a", "b"], ["a", "c"]], docs), 12);
    }
}

public class TopicHierarchyTests
{
    [Fact]
    public void AverageLinkageMatchesHandComputedMerges()
    {
        // Rows a = (1, 0), b = (1, 1), c = (0, 1): cosine distances ab = bc = 1 − 1/√2, ac = 1.
        // First a and b merge (tie with bc goes to the lower ids), then {a,b} with c at the average (bc + ac) / 2.
        var merges = TopicHierarchy.Build([[1, 0], [1, 1], [0, 1]]);
        double near = 1 - Math.Sqrt(0.5);
        Assert.Equal(2, merges.Count);
        Assert.Equal((3, 0, 1, 2), (merges[0].Node, merges[0].Left, merges[0].Right, merges[0].Size));
        Assert.Equal(near, merges[0].Distance, 12);
        Assert.Equal((3, 2), (merges[1].Left, merges[1].Right));
        Assert.Equal((near + 1) / 2, merges[1].Distance, 12);
        Assert.Equal(3, merges[1].Size);
    }
}
