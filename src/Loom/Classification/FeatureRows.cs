using System.Numerics.Tensors;

namespace Loom.Classification;

/// <summary>
/// The rows a linear model is trained on or applied to: either dense (embeddings) or sparse (TF-IDF), all of one dimension.
/// </summary>
public sealed class FeatureRows
{
    private readonly double[][]? _dense; // float64 copies: the optimiser works in float64 and the dot products vectorise
    private readonly SparseVector[]? _sparse;

    private FeatureRows(int dimension, double[][]? dense, SparseVector[]? sparse)
    {
        Dimension = dimension;
        _dense = dense;
        _sparse = sparse;
    }

    public int Dimension { get; }
    public int Count => _dense?.Length ?? _sparse!.Length;
    public bool IsSparse => _sparse is not null;

    public static FeatureRows Dense(IReadOnlyList<float[]> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows");
        int dimension = rows[0].Length;
        foreach (var row in rows)
        {
            if (row.Length != dimension) throw new ArgumentException($"rows differ in dimension ({row.Length} vs {dimension})");
            foreach (float v in row) if (!float.IsFinite(v)) throw new ArgumentException("a feature is not a finite number");
        }
        return new FeatureRows(dimension, rows.Select(r => Array.ConvertAll(r, v => (double)v)).ToArray(), null);
    }

    public static FeatureRows Sparse(IReadOnlyList<SparseVector> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows");
        int dimension = rows[0].Dimension;
        foreach (var row in rows) if (row.Dimension != dimension) throw new ArgumentException("rows differ in dimension");
        return new FeatureRows(dimension, null, rows.ToArray());
    }

    /// <summary>w · row for a weight vector of length <see cref="Dimension"/>.</summary>
    internal double Dot(int row, ReadOnlySpan<double> weights)
    {
        if (_dense is not null)
        {
            return TensorPrimitives.Dot(_dense[row], weights);
        }
        var v = _sparse![row];
        double sum = 0;
        for (int j = 0; j < v.Count; j++) sum += weights[v.Indices[j]] * v.Values[j];
        return sum;
    }

    /// <summary>‖row‖².</summary>
    internal double SquaredNorm(int row)
    {
        if (_dense is not null) return TensorPrimitives.Dot(_dense[row], _dense[row]);
        var v = _sparse![row];
        double sum = 0;
        for (int j = 0; j < v.Count; j++) sum += (double)v.Values[j] * v.Values[j];
        return sum;
    }

    /// <summary>target += scale × row.</summary>
    internal void AddScaled(int row, double scale, Span<double> target)
    {
        if (_dense is not null)
        {
            TensorPrimitives.MultiplyAdd(_dense[row], scale, target, target);
        }
        else
        {
            var x = _sparse![row];
            for (int j = 0; j < x.Count; j++) target[x.Indices[j]] += scale * x.Values[j];
        }
    }
}
