namespace Loom.Clustering;

/// <summary>Checks and distances shared by the clustering algorithms.</summary>
internal static class Points
{
    /// <summary>Checks a point set: non-empty, one dimension, finite coordinates.</summary>
    public static int Validate(IReadOnlyList<float[]> points, int minimum = 1)
    {
        if (points.Count < minimum) throw new ArgumentException($"at least {minimum} points are needed (got {points.Count})");
        int d = points[0].Length;
        if (d == 0) throw new ArgumentException("points have no coordinates");
        foreach (var p in points)
        {
            if (p.Length != d) throw new ArgumentException($"points differ in dimension ({p.Length} vs {d})");
            foreach (float v in p) if (!float.IsFinite(v)) throw new ArgumentException("a coordinate is not a finite number");
        }
        return d;
    }

    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float d = System.Numerics.Tensors.TensorPrimitives.Distance(a, b);
        return d * d;
    }
}
