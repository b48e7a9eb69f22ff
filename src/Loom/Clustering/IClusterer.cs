namespace Loom.Clustering;

/// <summary>A clustering stage of a <see cref="TopicModel"/>: one cluster id per point, −1 for outliers.</summary>
public interface IClusterer
{
    int[] FitPredict(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default);
}
