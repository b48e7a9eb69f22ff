namespace Loom.Classification;

/// <summary>What <see cref="Lbfgs"/> reached: the point, its objective, gradient norm and the iterations taken.</summary>
internal sealed record LbfgsResult(double[] X, double Value, double GradientNorm, int Iterations, bool Converged);

/// <summary>
/// Limited-memory BFGS (Nocedal and Wright, algorithm 7.5) with a backtracking Armijo line search.
/// Minimises a smooth function given as value-and-gradient; stops when the largest gradient component is below tolerance.
/// </summary>
internal static class Lbfgs
{
    public delegate double Objective(ReadOnlySpan<double> x, Span<double> gradient);

    public static LbfgsResult Minimize(Objective f, double[] start, int maxIterations, double tolerance, int history = 10,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        int n = start.Length;
        double[] x = (double[])start.Clone(), g = new double[n], xNew = new double[n], gNew = new double[n], d = new double[n];
        var s = new List<double[]>(); var y = new List<double[]>(); var rho = new List<double>();
        double[] alpha = new double[history];
        double value = f(x, g);
        int iteration = 0;
        for (; iteration < maxIterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (MaxAbs(g) <= tolerance) return new LbfgsResult(x, value, MaxAbs(g), iteration, true);

            // Two-loop recursion: d = -H g.
            for (int i = 0; i < n; i++) d[i] = -g[i];
            for (int k = s.Count - 1; k >= 0; k--) { alpha[k] = rho[k] * Dot(s[k], d); Axpy(-alpha[k], y[k], d); }
            if (s.Count > 0)
            {
                double gamma = Dot(s[^1], y[^1]) / Dot(y[^1], y[^1]);
                for (int i = 0; i < n; i++) d[i] *= gamma;
            }
            for (int k = 0; k < s.Count; k++) { double beta = rho[k] * Dot(y[k], d); Axpy(alpha[k] - beta, s[k], d); }

            double slope = Dot(g, d);
            if (slope >= 0) // not a descent direction: restart from steepest descent
            {
                s.Clear(); y.Clear(); rho.Clear();
                for (int i = 0; i < n; i++) d[i] = -g[i];
                slope = Dot(g, d);
            }
            double step = s.Count == 0 ? Math.Min(1, 1 / Math.Sqrt(-slope)) : 1;
            double valueNew = 0;
            bool accepted = false;
            for (int tries = 0; tries < 40; tries++)
            {
                for (int i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
                valueNew = f(xNew, gNew);
                if (double.IsFinite(valueNew) && valueNew <= value + 1e-4 * step * slope) { accepted = true; break; }
                step *= 0.5;
            }
            if (!accepted) return new LbfgsResult(x, value, MaxAbs(g), iteration, false); // no progress possible in float64

            var sk = new double[n]; var yk = new double[n];
            for (int i = 0; i < n; i++) { sk[i] = xNew[i] - x[i]; yk[i] = gNew[i] - g[i]; }
            double sy = Dot(sk, yk);
            if (sy > 1e-12 * Math.Sqrt(Dot(sk, sk) * Dot(yk, yk)))
            {
                if (s.Count == history) { s.RemoveAt(0); y.RemoveAt(0); rho.RemoveAt(0); }
                s.Add(sk); y.Add(yk); rho.Add(1 / sy);
            }
            (x, xNew) = (xNew, x);
            (g, gNew) = (gNew, g);
            bool stalled = value - valueNew <= 1e-15 * Math.Max(1, Math.Abs(value));
            value = valueNew;
            progress?.Report(iteration + 1);
            if (stalled && MaxAbs(g) <= Math.Sqrt(tolerance)) return new LbfgsResult(x, value, MaxAbs(g), iteration + 1, MaxAbs(g) <= tolerance);
        }
        return new LbfgsResult(x, value, MaxAbs(g), iteration, MaxAbs(g) <= tolerance);
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += a * x[i];
    }

    private static double MaxAbs(double[] v)
    {
        double max = 0;
        foreach (double e in v) max = Math.Max(max, Math.Abs(e));
        return max;
    }
}
