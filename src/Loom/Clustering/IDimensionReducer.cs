namespace Loom.Clustering;

/// <summary>A dimension-reduction stage of a <see cref="TopicModel"/>.</summary>
public interface IDimensionReducer
{
    float[][] FitTransform(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default);
}
