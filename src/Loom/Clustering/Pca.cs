namespace Loom.Clustering;

/// <summary>
/// Principal component analysis: centre the data, find the leading eigenvectors of the float64 covariance matrix
/// (subspace iteration with Rayleigh–Ritz), project onto them. Each component's sign is fixed so that its largest entry is positive.
/// Meant for embedding-sized dimensions (up to a few thousand).
/// </summary>
public sealed class Pca(int components = 5) : IDimensionReducer
{
    public int Components { get; } = components > 0 ? components : throw new ArgumentOutOfRangeException(nameof(components));
    public double[] Mean { get; private set; } = [];
    /// <summary>Principal axes, one unit vector per row, by decreasing variance.</summary>
    public double[][] Axes { get; private set; } = [];
    /// <summary>Variance along each axis (sample variance, divided by n − 1).</summary>
    public double[] ExplainedVariance { get; private set; } = [];

    public float[][] FitTransform(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default)
    {
        Fit(points, cancellationToken);
        return Transform(points);
    }

    public void Fit(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default)
    {
        int d = Points.Validate(points, 2);
        if (Components > d) throw new ArgumentException($"{Components} components asked of {d}-dimensional data");
        int n = points.Count;
        var mean = new double[d];
        foreach (var p in points) for (int j = 0; j < d; j++) mean[j] += p[j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        var covariance = new double[d, d];
        var centred = new double[d];
        foreach (var p in points)
        {
            for (int j = 0; j < d; j++) centred[j] = p[j] - mean[j];
            for (int a = 0; a < d; a++)
            {
                double ca = centred[a];
                if (ca == 0) continue;
                for (int b = a; b < d; b++) covariance[a, b] += ca * centred[b];
            }
        }
        for (int a = 0; a < d; a++)
            for (int b = a; b < d; b++) covariance[b, a] = covariance[a, b] /= n - 1;
        var (values, axes) = LeadingEigenvectors(covariance, Components, cancellationToken);
        Mean = mean;
        ExplainedVariance = values.Select(v => Math.Max(0, v)).ToArray();
        foreach (var axis in axes)
        {
            double largest = axis.MaxBy(Math.Abs);
            if (largest < 0) for (int j = 0; j < d; j++) axis[j] = -axis[j];
        }
        Axes = axes;
    }

    /// <summary>
    /// The k leading eigenpairs of a symmetric positive semi-definite matrix by subspace iteration on k + 10 vectors
    /// with Rayleigh–Ritz extraction (exact Jacobi when that covers the whole space).
    /// </summary>
    internal static (double[] Values, double[][] Vectors) LeadingEigenvectors(double[,] c, int k, CancellationToken cancellationToken)
    {
        int d = c.GetLength(0), p = Math.Min(d, k + 10);
        var random = new Random(17);
        var q = new double[p][];
        for (int i = 0; i < p; i++) q[i] = Enumerable.Range(0, d).Select(_ => random.NextDouble() - 0.5).ToArray();
        if (p == d) for (int i = 0; i < p; i++) for (int j = 0; j < d; j++) q[i][j] = i == j ? 1 : 0;
        Orthonormalize(q);
        for (int iteration = 1; ; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool check = p == d || iteration % 10 == 0 || iteration >= 2000;
            if (!check)
            {
                q = q.Select(v => Multiply(c, v)).ToArray();
                Orthonormalize(q);
                continue;
            }
            // Rayleigh–Ritz: diagonalise QᵀCQ, rotate the basis onto its eigenvectors, check the residuals.
            var cq = q.Select(v => Multiply(c, v)).ToArray();
            var t = new double[p, p];
            for (int a = 0; a < p; a++) for (int b = 0; b < p; b++) t[a, b] = Dot(q[a], cq[b]);
            var (values, vectors) = SymmetricEigen.Jacobi(t, cancellationToken);
            int[] order = Enumerable.Range(0, p).OrderByDescending(i => values[i]).ToArray();
            var ritz = order.Select(i => Combine(q, vectors, i)).ToArray();
            var ritzC = order.Select(i => Combine(cq, vectors, i)).ToArray();
            double scale = Math.Max(Math.Abs(values[order[0]]), 1e-300), worst = 0;
            for (int i = 0; i < k; i++)
            {
                double residual = 0, lambda = values[order[i]];
                for (int j = 0; j < d; j++) residual += Math.Pow(ritzC[i][j] - lambda * ritz[i][j], 2);
                worst = Math.Max(worst, Math.Sqrt(residual) / scale);
            }
            if (p == d || worst < 1e-9 || iteration >= 2000)
                return (order.Take(k).Select(i => values[i]).ToArray(), ritz.Take(k).ToArray());
            q = ritzC;
            Orthonormalize(q);
        }
    }

    private static double[] Multiply(double[,] c, double[] v)
    {
        int d = v.Length;
        var result = new double[d];
        for (int a = 0; a < d; a++)
        {
            double sum = 0;
            for (int b = 0; b < d; b++) sum += c[a, b] * v[b];
            result[a] = sum;
        }
        return result;
    }

    private static double[] Combine(double[][] basis, double[,] coefficients, int column)
    {
        var result = new double[basis[0].Length];
        for (int i = 0; i < basis.Length; i++)
            for (int j = 0; j < result.Length; j++) result[j] += coefficients[i, column] * basis[i][j];
        return result;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Modified Gram–Schmidt, twice for stability; a vector that vanishes is replaced by a random one.</summary>
    private static void Orthonormalize(double[][] vectors)
    {
        var random = new Random(29);
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < vectors.Length; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    double projection = Dot(vectors[i], vectors[j]);
                    for (int m = 0; m < vectors[i].Length; m++) vectors[i][m] -= projection * vectors[j][m];
                }
                double norm = Math.Sqrt(Dot(vectors[i], vectors[i]));
                if (norm < 1e-12)
                {
                    for (int m = 0; m < vectors[i].Length; m++) vectors[i][m] = random.NextDouble() - 0.5;
                    i--; // orthogonalise the replacement again
                    continue;
                }
                for (int m = 0; m < vectors[i].Length; m++) vectors[i][m] /= norm;
            }
    }

    public float[][] Transform(IReadOnlyList<float[]> points)
    {
        if (Axes.Length == 0) throw new InvalidOperationException("fit the model first");
        return points.Select(p =>
        {
            if (p.Length != Mean.Length) throw new ArgumentException("point has the wrong dimension");
            var result = new float[Axes.Length];
            for (int c = 0; c < Axes.Length; c++)
            {
                double sum = 0;
                for (int j = 0; j < p.Length; j++) sum += (p[j] - Mean[j]) * Axes[c][j];
                result[c] = (float)sum;
            }
            return result;
        }).ToArray();
    }
}

/// <summary>Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (Golub and Van Loan, §8.5).</summary>
internal static class SymmetricEigen
{
    /// <summary>Eigenvalues and eigenvectors (as columns) of the symmetric matrix <paramref name="a"/> (not modified).</summary>
    public static (double[] Values, double[,] Vectors) Jacobi(double[,] a, CancellationToken cancellationToken = default)
    {
        int n = a.GetLength(0);
        var m = (double[,])a.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double offDiagonal = 0, diagonal = 0;
            for (int p = 0; p < n; p++)
            {
                diagonal += m[p, p] * m[p, p];
                for (int q = p + 1; q < n; q++) offDiagonal += m[p, q] * m[p, q];
            }
            if (offDiagonal <= 1e-30 * Math.Max(diagonal, 1e-300)) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = m[p, q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double theta = (m[q, q] - m[p, p]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double mkp = m[k, p], mkq = m[k, q];
                        m[k, p] = c * mkp - s * mkq;
                        m[k, q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double mpk = m[p, k], mqk = m[q, k];
                        m[p, k] = c * mpk - s * mqk;
                        m[q, k] = s * mpk + c * mqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = m[i, i];
        return (values, v);
    }
}
