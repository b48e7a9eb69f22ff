using System.Numerics.Tensors;

namespace Loom.Clustering;

/// <summary>Distance UMAP uses between input points.</summary>
public enum UmapMetric { Euclidean, Cosine }

/// <summary>Options of <see cref="Umap"/>; the defaults are umap-learn's (BERTopic uses 5 components, min-dist 0, cosine).</summary>
public sealed record UmapOptions
{
    public int Neighbors { get; init; } = 15;
    public int Components { get; init; } = 2;
    public double MinDist { get; init; } = 0.1;
    public double Spread { get; init; } = 1.0;
    public UmapMetric Metric { get; init; } = UmapMetric.Euclidean;
    /// <summary>Optimisation epochs; by default 500 for small data sets and 200 above 10 000 points.</summary>
    public int? Epochs { get; init; }
    public double LearningRate { get; init; } = 1.0;
    public int NegativeSampleRate { get; init; } = 5;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// UMAP (McInnes, Healy and Melville 2018): exact k-nearest-neighbour graph, fuzzy simplicial set (per-point ρ and σ
/// with Σ exp(−(d − ρ)/σ) = log₂ k, symmetrised by fuzzy union), a PCA initialisation scaled to ±10, and stochastic
/// gradient descent on the fuzzy cross-entropy with negative sampling, curve 1 / (1 + a d^2b) fitted to min-dist.
/// Single-threaded SGD, so a seed gives the same layout on every run. The exact graph costs O(n² d): fine up to ~20k points.
/// </summary>
public sealed class Umap(UmapOptions? options = null) : IDimensionReducer
{
    public UmapOptions Options { get; } = options ?? new UmapOptions();

    public float[][] FitTransform(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default)
    {
        int d = Points.Validate(points, 3);
        int n = points.Count, k = Math.Min(Options.Neighbors, n - 1);
        if (Options.Neighbors < 2) throw new ArgumentOutOfRangeException(nameof(Options), "at least 2 neighbours");
        if (Options.Components < 1 || Options.Components > d) throw new ArgumentOutOfRangeException(nameof(Options), $"components must be in 1..{d}");
        var data = Options.Metric == UmapMetric.Cosine ? points.Select(Normalized).ToArray() : points.ToArray();
        var (indices, distances) = NearestNeighbors(data, k, cancellationToken);
        var graph = FuzzySimplicialSet(indices, distances);
        var (a, b) = FitCurve(Options.MinDist, Options.Spread);
        var embedding = Initialize(data, Options.Components, Options.Seed, cancellationToken);
        int epochs = Options.Epochs ?? (n > 10_000 ? 200 : 500);
        Optimize(embedding, graph, a, b, epochs, cancellationToken);
        return embedding;
    }

    private static float[] Normalized(float[] v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm == 0) return (float[])v.Clone();
        var result = new float[v.Length];
        TensorPrimitives.Divide(v, norm, result);
        return result;
    }

    /// <summary>The k nearest other points of each point (Euclidean; cosine data is unit-normalised first), nearest first.</summary>
    internal static (int[][] Indices, float[][] Distances) NearestNeighbors(IReadOnlyList<float[]> data, int k, CancellationToken cancellationToken)
    {
        int n = data.Count;
        var indices = new int[n][];
        var distances = new float[n][];
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var heap = new PriorityQueue<int, (float, int)>(Comparer<(float D, int J)>.Create((x, y) => y.CompareTo(x)));
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                float dist = TensorPrimitives.Distance(data[i], data[j]);
                if (heap.Count < k) heap.Enqueue(j, (dist, j));
                else if (heap.TryPeek(out _, out var worst) && (dist, j).CompareTo(worst) < 0) heap.EnqueueDequeue(j, (dist, j));
            }
            var found = new List<(float D, int J)>();
            while (heap.TryDequeue(out int j, out var key)) found.Add(key);
            found.Reverse();
            indices[i] = found.Select(f => f.J).ToArray();
            distances[i] = found.Select(f => f.D).ToArray();
        });
        return (indices, distances);
    }

    /// <summary>Edges (i, j, weight) of the symmetrised fuzzy graph, both directions, i-major order.</summary>
    internal static List<(int I, int J, float W)> FuzzySimplicialSet(int[][] indices, float[][] distances)
    {
        int n = indices.Length;
        var directed = new Dictionary<(int, int), double>();
        for (int i = 0; i < n; i++)
        {
            var (rho, sigma) = SmoothKnnDistance(distances[i]);
            for (int m = 0; m < indices[i].Length; m++)
                directed[(i, indices[i][m])] = Math.Exp(-Math.Max(0, distances[i][m] - rho) / sigma);
        }
        var edges = new List<(int, int, float)>();
        var seen = new HashSet<(int, int)>();
        foreach (var ((i, j), w) in directed)
        {
            if (!seen.Add((Math.Min(i, j), Math.Max(i, j)))) continue;
            double other = directed.GetValueOrDefault((j, i));
            float union = (float)(w + other - w * other);
            edges.Add((i, j, union));
            edges.Add((j, i, union));
        }
        edges.Sort((x, y) => x.Item1 != y.Item1 ? x.Item1.CompareTo(y.Item1) : x.Item2.CompareTo(y.Item2));
        return edges;
    }

    /// <summary>ρ = distance to the nearest neighbour; σ solves Σ exp(−max(0, d − ρ)/σ) = log₂ k by bisection.</summary>
    internal static (double Rho, double Sigma) SmoothKnnDistance(float[] distances)
    {
        double rho = distances.Where(d => d > 0).DefaultIfEmpty(0).Min();
        double target = Math.Log2(distances.Length);
        double lo = 0, hi = double.PositiveInfinity, sigma = 1;
        for (int iteration = 0; iteration < 64; iteration++)
        {
            double sum = 0;
            foreach (float d in distances) sum += Math.Exp(-Math.Max(0, d - rho) / sigma);
            if (Math.Abs(sum - target) < 1e-5) break;
            if (sum > target) { hi = sigma; sigma = (lo + hi) / 2; }
            else { lo = sigma; sigma = double.IsPositiveInfinity(hi) ? sigma * 2 : (lo + hi) / 2; }
        }
        double mean = distances.Length == 0 ? 0 : distances.Average(d => (double)d);
        return (rho, Math.Max(sigma, 1e-3 * Math.Max(mean, 1e-12)));
    }

    /// <summary>
    /// Least-squares fit of 1 / (1 + a x^2b) to the target curve (1 for x &lt; min-dist, exp(−(x − min-dist)/spread) beyond),
    /// on 300 points of [0, 3·spread], by Gauss–Newton with Levenberg damping.
    /// </summary>
    public static (double A, double B) FitCurve(double minDist, double spread)
    {
        if (spread <= 0 || minDist < 0 || minDist > spread) throw new ArgumentOutOfRangeException(nameof(minDist), "need 0 ≤ min-dist ≤ spread, spread > 0");
        var xs = Enumerable.Range(0, 300).Select(i => 3 * spread * i / 299.0).ToArray();
        var ys = xs.Select(x => x < minDist ? 1 : Math.Exp(-(x - minDist) / spread)).ToArray();
        double a = 1, b = 1, damping = 1e-3;
        double Loss(double pa, double pb) => xs.Select((x, i) => Math.Pow(1 / (1 + pa * Math.Pow(x, 2 * pb)) - ys[i], 2)).Sum();
        double loss = Loss(a, b);
        for (int iteration = 0; iteration < 500; iteration++)
        {
            double jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
            for (int i = 1; i < xs.Length; i++) // x = 0 contributes nothing to the derivatives
            {
                double x2b = Math.Pow(xs[i], 2 * b), f = 1 / (1 + a * x2b), r = f - ys[i];
                double da = -f * f * x2b, db = -f * f * a * x2b * 2 * Math.Log(xs[i]);
                jaa += da * da; jab += da * db; jbb += db * db; ga += da * r; gb += db * r;
            }
            double maa = jaa * (1 + damping), mbb = jbb * (1 + damping), det = maa * mbb - jab * jab;
            double stepA = -(mbb * ga - jab * gb) / det, stepB = -(maa * gb - jab * ga) / det;
            double newLoss = Loss(a + stepA, b + stepB);
            if (a + stepA > 0 && b + stepB > 0 && newLoss < loss)
            {
                bool done = loss - newLoss < 1e-15;
                (a, b, loss, damping) = (a + stepA, b + stepB, newLoss, damping / 3);
                if (done) break;
            }
            else damping *= 4;
            if (damping > 1e12) break;
        }
        return (a, b);
    }

    /// <summary>PCA of the data scaled so the largest coordinate is 10, plus a little seeded noise to break ties.</summary>
    private static float[][] Initialize(IReadOnlyList<float[]> data, int components, int seed, CancellationToken cancellationToken)
    {
        var projected = new Pca(components).FitTransform(data, cancellationToken);
        float max = projected.Max(p => p.Max(Math.Abs));
        var random = new Random(seed);
        foreach (var p in projected)
            for (int c = 0; c < components; c++) p[c] = (max > 0 ? p[c] * 10 / max : 0) + (float)((random.NextDouble() - 0.5) * 1e-4 * 20);
        return projected;
    }

    private void Optimize(float[][] embedding, List<(int I, int J, float W)> graph, double a, double b, int epochs, CancellationToken cancellationToken)
    {
        float maxWeight = graph.Count == 0 ? 0 : graph.Max(e => e.W);
        var edges = graph.Where(e => e.W >= maxWeight / epochs).ToArray();
        int n = embedding.Length, dim = embedding[0].Length, negativeRate = Options.NegativeSampleRate;
        var epochsPerSample = edges.Select(e => (double)maxWeight / e.W).ToArray();
        var nextSample = (double[])epochsPerSample.Clone();
        var epochsPerNegative = epochsPerSample.Select(e => e / negativeRate).ToArray();
        var nextNegative = (double[])epochsPerNegative.Clone();
        var random = new Random(Options.Seed);
        var delta = new double[dim];
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double alpha = Options.LearningRate * (1 - (epoch - 1.0) / epochs);
            for (int e = 0; e < edges.Length; e++)
            {
                if (nextSample[e] > epoch) continue;
                var (i, j, _) = edges[e];
                float[] current = embedding[i], other = embedding[j];
                double d2 = 0;
                for (int c = 0; c < dim; c++) { delta[c] = current[c] - other[c]; d2 += delta[c] * delta[c]; }
                if (d2 > 0)
                {
                    double coefficient = -2 * a * b * Math.Pow(d2, b - 1) / (a * Math.Pow(d2, b) + 1);
                    for (int c = 0; c < dim; c++)
                    {
                        double g = Math.Clamp(coefficient * delta[c], -4, 4) * alpha;
                        current[c] += (float)g;
                        other[c] -= (float)g;
                    }
                }
                nextSample[e] += epochsPerSample[e];

                int negatives = (int)((epoch - nextNegative[e]) / epochsPerNegative[e]);
                for (int s = 0; s < negatives; s++)
                {
                    int m = random.Next(n);
                    if (m == i) continue;
                    float[] sample = embedding[m];
                    d2 = 0;
                    for (int c = 0; c < dim; c++) { delta[c] = current[c] - sample[c]; d2 += delta[c] * delta[c]; }
                    double coefficient = d2 > 0 ? 2 * b / ((0.001 + d2) * (a * Math.Pow(d2, b) + 1)) : 0;
                    for (int c = 0; c < dim; c++)
                        current[c] += (float)((coefficient > 0 ? Math.Clamp(coefficient * delta[c], -4, 4) : 4) * alpha);
                }
                nextNegative[e] += negatives * epochsPerNegative[e];
            }
        }
    }
}
