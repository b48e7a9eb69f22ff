using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        float max = Max(valid);
        if (float.IsNegativeInfinity(max))
        {
            valid.Clear();
            return;
        }
        float sum = ExpShifted(valid, max);
        TensorPrimitives.Multiply(valid, 1 / sum, valid);
    }

    // Attention rows are short (tens to hundreds of scores) and there are many of them: two fused loops instead of a
    // library call per step, whose fixed cost dominated rows this short.

    private static float Max(ReadOnlySpan<float> x)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0;
        float max = float.NegativeInfinity;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var m = Vector256.LoadUnsafe(ref r);
            for (i = 8; i + 8 <= x.Length; i += 8) m = Vector256.Max(m, Vector256.LoadUnsafe(ref r, (nuint)i));
            for (int lane = 0; lane < 8; lane++) max = MathF.Max(max, m[lane]);
        }
        for (; i < x.Length; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    /// <summary>x ← exp(x − shift); returns Σ x.</summary>
    private static float ExpShifted(Span<float> x, float shift)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256<float>.Zero;
            var m = Vector256.Create(shift);
            for (; i + 8 <= x.Length; i += 8)
            {
                var e = Vector256.Exp(Vector256.LoadUnsafe(ref r, (nuint)i) - m);
                e.StoreUnsafe(ref r, (nuint)i);
                s += e;
            }
            if (i < x.Length)
            {
                // The tail through the same vector exp (padded with −∞, whose exp is 0), so every entry rounds alike.
                Span<float> tail = stackalloc float[8];
                tail.Fill(float.NegativeInfinity);
                x[i..].CopyTo(tail);
                var e = Vector256.Exp(Vector256.Create<float>(tail) - m);
                e.CopyTo(tail);
                tail[..(x.Length - i)].CopyTo(x[i..]);
                s += e;
            }
            return Vector256.Sum(s);
        }
        for (; i < x.Length; i++) sum += x[i] = MathF.Exp(x[i] - shift);
        return sum;
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
