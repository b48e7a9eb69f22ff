namespace Loom.Classification;

/// <summary>How training examples are weighted per class.</summary>
public enum ClassWeighting
{
    /// <summary>Every example counts once.</summary>
    None,
    /// <summary>Example of class c weighs n / (classes × n_c), as scikit-learn's "balanced".</summary>
    Balanced,
}

/// <summary>Options of <see cref="LogisticRegression"/>; <see cref="C"/> has scikit-learn's meaning.</summary>
public sealed record LogisticRegressionOptions
{
    /// <summary>Inverse strength of the L2 penalty on the weights (not the biases): smaller is stronger.</summary>
    public double C { get; init; } = 1.0;
    public ClassWeighting ClassWeighting { get; init; } = ClassWeighting.None;
    public int MaxIterations { get; init; } = 1000;
    /// <summary>Training stops when the largest component of the objective's gradient is below this.</summary>
    public double GradientTolerance { get; init; } = 1e-6;
    /// <summary>Pairs of past steps L-BFGS remembers.</summary>
    public int History { get; init; } = 10;
}

/// <summary>How training ended: iterations, final objective and gradient norm (max-abs), and whether it converged.</summary>
public sealed record LogisticRegressionFit(int Iterations, double Objective, double GradientNorm, bool Converged);

/// <summary>
/// Multinomial logistic regression (softmax over classes) with an L2 penalty, trained by L-BFGS in float64.
/// Objective: (1/n) Σ_i w_i · −log p(y_i | x_i) + ‖W‖² / (2 C n) — scikit-learn's objective divided by n,
/// so it has the same minimiser.
/// </summary>
public sealed class LogisticRegression
{
    private readonly double[] _weights; // classes × dimension, row-major
    private readonly double[] _bias;

    public LogisticRegression(int classCount, int dimension, double[] weights, double[] bias, LogisticRegressionFit? fit = null)
    {
        if (classCount < 2) throw new ArgumentException("at least two classes are needed");
        if (weights.Length != (long)classCount * dimension || bias.Length != classCount) throw new ArgumentException("weights or bias have the wrong length");
        if (!weights.All(double.IsFinite) || !bias.All(double.IsFinite)) throw new ArgumentException("weights must be finite");
        ClassCount = classCount;
        Dimension = dimension;
        _weights = weights;
        _bias = bias;
        Fit = fit;
    }

    public int ClassCount { get; }
    public int Dimension { get; }
    public ReadOnlySpan<double> Weights => _weights;
    public ReadOnlySpan<double> Bias => _bias;
    /// <summary>How training ended, when this model was trained here.</summary>
    public LogisticRegressionFit? Fit { get; }

    /// <summary>Trains on <paramref name="features"/> with class ids <paramref name="labels"/> in 0..classCount-1.</summary>
    public static LogisticRegression Train(FeatureRows features, IReadOnlyList<int> labels, int classCount,
        LogisticRegressionOptions? options = null, IProgress<int>? iterations = null, CancellationToken cancellationToken = default)
    {
        options ??= new LogisticRegressionOptions();
        if (labels.Count != features.Count) throw new ArgumentException("one label per row is needed");
        if (options.C <= 0) throw new ArgumentOutOfRangeException(nameof(options), "C must be positive");
        var classSizes = new int[classCount];
        foreach (int label in labels)
        {
            if ((uint)label >= (uint)classCount) throw new ArgumentOutOfRangeException(nameof(labels), $"class id {label} outside 0..{classCount - 1}");
            classSizes[label]++;
        }
        if (classSizes.Count(c => c > 0) < 2) throw new ArgumentException("training data must hold at least two classes");

        double[] sampleWeights = SampleWeights(labels, classSizes, options.ClassWeighting);
        int[] y = labels.ToArray();
        double lambda = 1 / (options.C * features.Count);
        var start = new double[classCount * (features.Dimension + 1)];
        var result = Lbfgs.Minimize((theta, grad) => Objective(features, y, sampleWeights, classCount, lambda, theta, grad),
            start, options.MaxIterations, options.GradientTolerance, options.History, iterations, cancellationToken);
        int wCount = classCount * features.Dimension;
        return new LogisticRegression(classCount, features.Dimension, result.X[..wCount], result.X[wCount..],
            new LogisticRegressionFit(result.Iterations, result.Value, result.GradientNorm, result.Converged));
    }

    internal static double[] SampleWeights(IReadOnlyList<int> labels, int[] classSizes, ClassWeighting weighting)
    {
        int present = classSizes.Count(c => c > 0);
        var weights = new double[labels.Count];
        for (int i = 0; i < weights.Length; i++)
            weights[i] = weighting == ClassWeighting.Balanced ? (double)labels.Count / (present * classSizes[labels[i]]) : 1;
        return weights;
    }

    /// <summary>
    /// The training objective and its gradient at theta = [W (classes × dimension, row-major), b (classes)].
    /// Rows are processed in fixed chunks in parallel and summed in order, so the result is deterministic.
    /// </summary>
    internal static double Objective(FeatureRows x, int[] y, double[] sampleWeights, int classes, double lambda,
        ReadOnlySpan<double> theta, Span<double> gradient)
    {
        int d = x.Dimension, n = x.Count, wCount = classes * d;
        double[] parameters = theta.ToArray();
        int chunks = Math.Min(Environment.ProcessorCount, Math.Max(1, n / 256));
        var partialGrad = new double[chunks][];
        var partialLoss = new double[chunks];
        Parallel.For(0, chunks, c =>
        {
            var g = partialGrad[c] = new double[parameters.Length];
            var z = new double[classes];
            double loss = 0;
            for (int i = (int)((long)n * c / chunks), end = (int)((long)n * (c + 1) / chunks); i < end; i++)
            {
                double max = double.NegativeInfinity;
                for (int k = 0; k < classes; k++)
                {
                    z[k] = parameters[wCount + k] + x.Dot(i, parameters.AsSpan(k * d, d));
                    max = Math.Max(max, z[k]);
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) sum += Math.Exp(z[k] - max);
                double logSum = max + Math.Log(sum);
                loss += sampleWeights[i] * (logSum - z[y[i]]);
                for (int k = 0; k < classes; k++)
                {
                    double coefficient = sampleWeights[i] * (Math.Exp(z[k] - logSum) - (k == y[i] ? 1 : 0));
                    x.AddScaled(i, coefficient, g.AsSpan(k * d, d));
                    g[wCount + k] += coefficient;
                }
            }
            partialLoss[c] = loss;
        });
        gradient.Clear();
        double total = 0;
        for (int c = 0; c < chunks; c++)
        {
            total += partialLoss[c];
            for (int j = 0; j < gradient.Length; j++) gradient[j] += partialGrad[c][j];
        }
        double penalty = 0;
        for (int j = 0; j < gradient.Length; j++) gradient[j] /= n;
        for (int j = 0; j < wCount; j++)
        {
            penalty += parameters[j] * parameters[j];
            gradient[j] += lambda * parameters[j];
        }
        return total / n + 0.5 * lambda * penalty;
    }

    /// <summary>Class probabilities of one row of a <see cref="FeatureRows"/> set.</summary>
    public void PredictProbabilities(FeatureRows features, int row, Span<float> probabilities)
    {
        if (features.Dimension != Dimension) throw new ArgumentException($"features have dimension {features.Dimension}, the model {Dimension}");
        if (probabilities.Length != ClassCount) throw new ArgumentException("one probability slot per class is needed");
        Span<double> z = ClassCount <= 256 ? stackalloc double[ClassCount] : new double[ClassCount];
        double max = double.NegativeInfinity;
        for (int k = 0; k < ClassCount; k++)
        {
            z[k] = _bias[k] + features.Dot(row, _weights.AsSpan(k * Dimension, Dimension));
            max = Math.Max(max, z[k]);
        }
        double sum = 0;
        for (int k = 0; k < ClassCount; k++) sum += z[k] = Math.Exp(z[k] - max);
        for (int k = 0; k < ClassCount; k++) probabilities[k] = (float)(z[k] / sum);
    }
}
