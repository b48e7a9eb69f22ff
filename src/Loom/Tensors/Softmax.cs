using System.Numerics.Tensors;

namespace Loom.Tensors;

/// <summary>Numerically stable softmax (the row maximum is subtracted before exponentiating), with the masks attention needs.</summary>
public static class Softmax
{
    /// <summary>Softmax of a row, in place.</summary>
    public static void InPlace(Span<float> row) => InPlace(row, row.Length);

    /// <summary>Softmax over the first <paramref name="validLength"/> entries; the rest (padding, future tokens) become 0.
    /// A row with no valid entry becomes all zeros.</summary>
    public static void InPlace(Span<float> row, int validLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(validLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(validLength, row.Length);
        var valid = row[..validLength];
        row[validLength..].Clear();
        if (validLength == 0) return;
        float max = TensorPrimitives.Max(valid);
        if (float.IsNegativeInfinity(max))
        {
            valid.Clear();
            return;
        }
        TensorPrimitives.Subtract(valid, max, valid);
        TensorPrimitives.Exp(valid, valid);
        TensorPrimitives.Multiply(valid, 1 / TensorPrimitives.Sum(valid), valid);
    }

    /// <summary>Softmax of row + <paramref name="additiveMask"/> (0 to keep, −∞ or a large negative value to hide), in place.
    /// A fully hidden row becomes all zeros rather than NaN.</summary>
    public static void InPlace(Span<float> row, ReadOnlySpan<float> additiveMask)
    {
        if (additiveMask.Length != row.Length) throw new ArgumentException($"mask has {additiveMask.Length} entries, row {row.Length}", nameof(additiveMask));
        TensorPrimitives.Add(row, additiveMask, row);
        InPlace(row, row.Length);
    }

    /// <summary>
    /// Causal softmax over attention scores [rows × cols] (queries × keys), in place: the queries are the last
    /// <paramref name="rows"/> of <paramref name="cols"/> positions, so query i sees keys 0 … cols − rows + i.
    /// </summary>
    public static void Causal(Span<float> scores, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, rows);
        if (scores.Length < (long)rows * cols) throw new ArgumentException($"scores hold {scores.Length} values, fewer than {rows} × {cols}", nameof(scores));
        for (int i = 0; i < rows; i++) InPlace(scores.Slice(i * cols, cols), cols - rows + i + 1);
    }
}
