using System.Numerics.Tensors;
using Loom.Classification;

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
/// with probability proportional to the squared distance to the nearest centre chosen so far. Works on dense points or
/// sparse rows (e.g. TF-IDF) with dense float64 centroids. Deterministic under a seed.
/// </summary>
public sealed class KMeans(KMeansOptions? options = null) : IClusterer
{
    public KMeansOptions Options { get; } = options ?? new KMeansOptions();
    public double[][] Centroids { get; private set; } = [];
    /// <summary>Sum of squared distances of the points to their centroids.</summary>
    public double Inertia { get; private set; }
    public int Iterations { get; private set; }

    public int[] FitPredict(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default)
    {
        Points.Validate(points, Options.Clusters);
        return FitPredict(FeatureRows.Dense(points), cancellationToken);
    }

    public int[] FitPredict(FeatureRows rows, CancellationToken cancellationToken = default)
    {
        if (Options.Clusters < 1) throw new ArgumentOutOfRangeException(nameof(Options), "at least one cluster");
        if (rows.Count < Options.Clusters) throw new ArgumentException($"{Options.Clusters} clusters asked of {rows.Count} points");
        var norms = Enumerable.Range(0, rows.Count).Select(rows.SquaredNorm).ToArray();
        var random = new Random(Options.Seed);
        int[]? best = null;
        for (int restart = 0; restart < Math.Max(1, Options.Restarts); restart++)
        {
            var centroids = PlusPlus(rows, norms, Options.Clusters, random);
            var labels = new int[rows.Count];
            int iteration = 0;
            for (; iteration < Options.MaxIterations; iteration++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Assign(rows, norms, centroids, labels);
                var updated = Means(rows, labels, centroids);
                double shift = 0;
                for (int c = 0; c < centroids.Length; c++) shift = Math.Max(shift, TensorPrimitives.Distance(updated[c], centroids[c]));
                centroids = updated;
                if (shift <= Options.Tolerance) break;
            }
            double inertia = Assign(rows, norms, centroids, labels);
            if (best is null || inertia < Inertia) (best, Centroids, Inertia, Iterations) = (labels, centroids, inertia, iteration + 1);
        }
        return best!;
    }

    /// <summary>The nearest centroid of each point.</summary>
    public int[] Predict(IReadOnlyList<float[]> points)
    {
        if (Centroids.Length == 0) throw new InvalidOperationException("fit the model first");
        var rows = FeatureRows.Dense(points);
        var labels = new int[points.Count];
        Assign(rows, Enumerable.Range(0, rows.Count).Select(rows.SquaredNorm).ToArray(), Centroids, labels);
        return labels;
    }

    private static double[] Dense(FeatureRows rows, int row)
    {
        var v = new double[rows.Dimension];
        rows.AddScaled(row, 1, v);
        return v;
    }

    private static double[][] PlusPlus(FeatureRows rows, double[] norms, int k, Random random)
    {
        var centroids = new List<double[]> { Dense(rows, random.Next(rows.Count)) };
        var nearest = Distances(rows, norms, centroids[0]);
        while (centroids.Count < k)
        {
            double total = nearest.Sum();
            int chosen;
            if (total <= 0) chosen = random.Next(rows.Count); // all points coincide with centres
            else
            {
                double target = random.NextDouble() * total, cumulative = 0;
                chosen = rows.Count - 1;
                for (int i = 0; i < rows.Count; i++)
                {
                    cumulative += nearest[i];
                    if (cumulative > target) { chosen = i; break; }
                }
            }
            centroids.Add(Dense(rows, chosen));
            var distances = Distances(rows, norms, centroids[^1]);
            for (int i = 0; i < rows.Count; i++) nearest[i] = Math.Min(nearest[i], distances[i]);
        }
        return centroids.ToArray();
    }

    /// <summary>Squared distances ‖x‖² − 2 x·c + ‖c‖² of every row to one centre (clamped at 0 against rounding).</summary>
    private static double[] Distances(FeatureRows rows, double[] norms, double[] centre)
    {
        double centreNorm = TensorPrimitives.Dot(centre, centre);
        var distances = new double[rows.Count];
        Parallel.For(0, rows.Count, i => distances[i] = Math.Max(0, norms[i] - 2 * rows.Dot(i, centre) + centreNorm));
        return distances;
    }

    private static double Assign(FeatureRows rows, double[] norms, double[][] centroids, int[] labels)
    {
        var centreNorms = centroids.Select(c => TensorPrimitives.Dot(c, c)).ToArray();
        var distances = new double[rows.Count];
        Parallel.For(0, rows.Count, i =>
        {
            int best = 0;
            double bestDistance = double.PositiveInfinity;
            for (int c = 0; c < centroids.Length; c++)
            {
                double distance = norms[i] - 2 * rows.Dot(i, centroids[c]) + centreNorms[c];
                if (distance < bestDistance) (best, bestDistance) = (c, distance);
            }
            labels[i] = best;
            distances[i] = Math.Max(0, bestDistance);
        });
        return distances.Sum();
    }

    private static double[][] Means(FeatureRows rows, int[] labels, double[][] previous)
    {
        var sums = previous.Select(_ => new double[rows.Dimension]).ToArray();
        var counts = new int[previous.Length];
        for (int i = 0; i < rows.Count; i++)
        {
            counts[labels[i]]++;
            rows.AddScaled(i, 1, sums[labels[i]]);
        }
        for (int c = 0; c < sums.Length; c++)
        {
            if (counts[c] == 0) { sums[c] = previous[c]; continue; } // an empty cluster keeps its centre
            TensorPrimitives.Divide(sums[c], counts[c], sums[c]);
        }
        return sums;
    }
}
