using System.Numerics.Tensors;

namespace Loom.Clustering;

/// <summary>Options of <see cref="KMeans"/>.</summary>
public sealed record KMeansOptions
{
    public int Clusters { get; init; } = 8;
    public int MaxIterations { get; init; } = 300;
    /// <summary>Stop when no centroid moves more than this (Euclidean).</summary>
    public double Tolerance { get; init; } = 1e-6;
    /// <summary>Independent k-means++ starts; the one with the lowest inertia wins.</summary>
    public int Restarts { get; init; } = 3;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// Lloyd's k-means with k-means++ seeding (Arthur and Vassilvitskii, 2007): the first centre uniformly, each next one
/// with probability proportional to the squared distance to the nearest centre chosen so far. Deterministic under a seed.
/// </summary>
public sealed class KMeans(KMeansOptions? options = null) : IClusterer
{
    public KMeansOptions Options { get; } = options ?? new KMeansOptions();
    public float[][] Centroids { get; private set; } = [];
    /// <summary>Sum of squared distances of the points to their centroids.</summary>
    public double Inertia { get; private set; }
    public int Iterations { get; private set; }

    public int[] FitPredict(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default)
    {
        int d = Points.Validate(points, Options.Clusters);
        if (Options.Clusters < 1) throw new ArgumentOutOfRangeException(nameof(Options), "at least one cluster");
        var random = new Random(Options.Seed);
        int[]? best = null;
        for (int restart = 0; restart < Math.Max(1, Options.Restarts); restart++)
        {
            var centroids = PlusPlus(points, Options.Clusters, random);
            var labels = new int[points.Count];
            int iteration = 0;
            for (; iteration < Options.MaxIterations; iteration++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Assign(points, centroids, labels);
                var updated = Means(points, labels, centroids, d);
                double shift = 0;
                for (int c = 0; c < centroids.Length; c++) shift = Math.Max(shift, TensorPrimitives.Distance(updated[c], centroids[c]));
                centroids = updated;
                if (shift <= Options.Tolerance) break;
            }
            double inertia = Assign(points, centroids, labels);
            if (best is null || inertia < Inertia)
            {
                (best, Centroids, Inertia, Iterations) = (labels, centroids, inertia, iteration + 1);
            }
        }
        return best!;
    }

    /// <summary>The nearest centroid of each point.</summary>
    public int[] Predict(IReadOnlyList<float[]> points)
    {
        if (Centroids.Length == 0) throw new InvalidOperationException("fit the model first");
        var labels = new int[points.Count];
        Assign(points, Centroids, labels);
        return labels;
    }

    internal static float[][] PlusPlus(IReadOnlyList<float[]> points, int k, Random random)
    {
        var centroids = new List<float[]> { (float[])points[random.Next(points.Count)].Clone() };
        var nearest = points.Select(p => (double)Points.SquaredDistance(p, centroids[0])).ToArray();
        while (centroids.Count < k)
        {
            double total = nearest.Sum();
            int chosen;
            if (total <= 0) chosen = random.Next(points.Count); // all points coincide with centres
            else
            {
                double target = random.NextDouble() * total, cumulative = 0;
                chosen = points.Count - 1;
                for (int i = 0; i < points.Count; i++)
                {
                    cumulative += nearest[i];
                    if (cumulative > target) { chosen = i; break; }
                }
            }
            centroids.Add((float[])points[chosen].Clone());
            for (int i = 0; i < points.Count; i++) nearest[i] = Math.Min(nearest[i], Points.SquaredDistance(points[i], centroids[^1]));
        }
        return centroids.ToArray();
    }

    private static double Assign(IReadOnlyList<float[]> points, float[][] centroids, int[] labels)
    {
        var distances = new double[points.Count];
        Parallel.For(0, points.Count, i =>
        {
            int best = 0;
            float bestDistance = float.PositiveInfinity;
            for (int c = 0; c < centroids.Length; c++)
            {
                float distance = Points.SquaredDistance(points[i], centroids[c]);
                if (distance < bestDistance) (best, bestDistance) = (c, distance);
            }
            labels[i] = best;
            distances[i] = bestDistance;
        });
        return distances.Sum();
    }

    private static float[][] Means(IReadOnlyList<float[]> points, int[] labels, float[][] previous, int d)
    {
        var sums = new double[previous.Length, d];
        var counts = new int[previous.Length];
        for (int i = 0; i < points.Count; i++)
        {
            counts[labels[i]]++;
            for (int j = 0; j < d; j++) sums[labels[i], j] += points[i][j];
        }
        var means = new float[previous.Length][];
        for (int c = 0; c < means.Length; c++)
        {
            if (counts[c] == 0) { means[c] = previous[c]; continue; } // an empty cluster keeps its centre
            means[c] = new float[d];
            for (int j = 0; j < d; j++) means[c][j] = (float)(sums[c, j] / counts[c]);
        }
        return means;
    }
}
